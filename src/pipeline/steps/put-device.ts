// put_device: a key of the sender's device for this salt period, derived while the truncated
// address and the raw User-Agent still exist (after Plausible's daily visitor hash), so that one
// person's tabs, sessions and restarts on one device count once (docs/reports.md "The unit: people").
import { deviceKey, type SaltedKeys } from './hash-ids.ts'
import type { RequestState } from '../types.ts'

export { deviceKey }

/** What the request steps read of their run. */
export interface RequestContext {
  keys: SaltedKeys
}

/** A device key from the salted keys, the truncated address and the raw User-Agent. */
export type DeviceKeyOf = (keys: SaltedKeys, ipPrefix: string | undefined, userAgent: string) => string

/**
 * The key is deviceKey (hash-ids.ts): the truncated address and the User-Agent under the app's
 * salt of the period. Only for browsers (Fetch metadata, Origin or a Mozilla/ User-Agent): a
 * server or the on-prem SDK sends for many people from one address and one library string, so
 * their sessions keep standing for their users (hash_ids). Without an address (no socket peer)
 * the User-Agent alone makes the key: more people merge into one, which undercounts and never
 * overcounts. `keyOf` is the id hasher's cached deviceKeyOf in the pipeline (index.ts).
 */
export function createPutDeviceStep(keyOf: DeviceKeyOf = deviceKey) {
  return function putDevice(req: RequestState, ctx: RequestContext): RequestState {
    const ua = req.client.userAgent
    if (!ua || !(req.client.browserHeaders === true || ua.startsWith('Mozilla/'))) return req
    return { ...req, device: keyOf(ctx.keys, req.ipPrefix, ua) }
  }
}
