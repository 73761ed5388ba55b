// put_device: a key of the sender's device for this salt period, derived while the truncated
// address and the raw User-Agent still exist (after Plausible's daily visitor hash), so that one
// person's tabs, sessions and restarts on one device count once (docs/reports.md "The unit: people").
import { hmacHex, type SaltedKeys } from './hash-ids.ts'
import type { RequestState } from '../types.ts'

/** What the request steps read of their run. */
export interface RequestContext {
  keys: SaltedKeys
}

/**
 * HMAC-SHA256 under the app's salt of the period (PRIVACY.md 4) of the truncated address
 * (PRIVACY.md 2: never the full one) and the raw User-Agent; 64 bits as hex, like every hash.
 * It is a keyed digest, unreadable once the salt is deleted, and it dies with the period.
 * Only for browsers (Fetch metadata, Origin or a Mozilla/ User-Agent): a server or the on-prem
 * SDK sends for many people from one address and one library string, so their sessions keep
 * standing for their users (hash_ids). Without an address (no socket peer) the User-Agent alone
 * makes the key: more people merge into one, which undercounts and never overcounts.
 */
export function deviceKey(keys: SaltedKeys, ipPrefix: string | undefined, userAgent: string): string {
  return hmacHex(keys.salt, `d\u0000${ipPrefix ?? ''}\u0000${userAgent}`)
}

export function createPutDeviceStep() {
  return function putDevice(req: RequestState, ctx: RequestContext): RequestState {
    const ua = req.client.userAgent
    if (!ua || !(req.client.browserHeaders === true || ua.startsWith('Mozilla/'))) return req
    return { ...req, device: deviceKey(ctx.keys, req.ipPrefix, ua) }
  }
}
