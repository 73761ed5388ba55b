// drop_ip: after the location is known, nothing of the address is kept (PRIVACY.md 2).
import type { RequestState } from '../types.ts'

export function createDropIpStep() {
  return function dropIp(req: RequestState): RequestState {
    const { ipPrefix: _gone, ...rest } = req
    return { ...rest, client: { ...rest.client, ip: undefined } }
  }
}
