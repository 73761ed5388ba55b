// The values key of one app and salt period (PRIVACY.md 17): derived from the period's salt with
// HKDF (RFC 5869), so it lives exactly as long as the salt. Once the salt is deleted at rotation
// (salts.ts), every token and sealed copy of that period is unreadable for good.
import { hkdfSync } from 'node:crypto'

export const VALUES_KEY_BYTES = 32

/** HKDF-SHA256 of the salt, bound to the app and period by its info string. */
export function valuesKey(salt: Buffer, appId: string, period: number): Buffer {
  return Buffer.from(hkdfSync('sha256', salt, Buffer.alloc(0), `veil values v1\u0000${appId}\u0000${period}`, VALUES_KEY_BYTES))
}

export interface PeriodKey {
  appId: string
  period: number
  key: Buffer
  /** The key as tokenOf's prefix (seal.ts secretOf), kept with it so it is encoded once. */
  secret: string
}

/**
 * The key of the salt a request holds, derived once per salt instance (`generation` changes with
 * every salt loaded, salts.ts): HKDF costs a few microseconds, a request needs it for every value.
 */
export function createValuesKeys() {
  const byApp = new Map<string, { period: number; generation: number; key: PeriodKey }>()
  return function keyOf(keys: { appId: string; period: number; generation: number; salt: Buffer }): PeriodKey {
    const hit = byApp.get(keys.appId)
    if (hit && hit.period === keys.period && hit.generation === keys.generation) return hit.key
    const k = valuesKey(keys.salt, keys.appId, keys.period)
    const key = { appId: keys.appId, period: keys.period, key: k, secret: k.toString('base64') }
    // A request still holding the previous salt gets its key without replacing the newer one.
    if (!hit || keys.period > hit.period || (keys.period === hit.period && keys.generation > hit.generation)) {
      byApp.set(keys.appId, { period: keys.period, generation: keys.generation, key })
    }
    return key
  }
}
