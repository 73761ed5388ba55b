// drop_gpc: a request carrying Sec-GPC: 1 is not recorded when the app honours Global Privacy
// Control, which is the default (PRIVACY.md 9; https://privacycg.github.io/gpc-spec/).
import type { Drop, RequestState } from '../types.ts'

export function createDropGpcStep() {
  return function dropGpc(req: RequestState): RequestState | Drop {
    if (req.gpc && req.app.honor_gpc) {
      return { drop: 'gpc', message: 'dropped: the browser sent Global Privacy Control (Sec-GPC: 1)' }
    }
    return req
  }
}
