// hash_ids: user_id and session_id become HMAC-SHA256 under the app's current rotating salt,
// org_id under the installation's stable org key (PRIVACY.md 4). The raw ids end here. Without a
// user_id, the user of record is the session's hash (issue 11): a browser tab session (visitor)
// or an on-prem installation, marked as such in user_kind.
import { createHmac } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { HashedEvent, ParsedEvent, UserKind } from '../types.ts'

/** 64 bits of the HMAC, hex: plenty to count distinct users, short to store. */
export function hmacHex(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex').slice(0, 16)
}

export interface SaltedKeys {
  appId: string
  period: number
  /** Identifies the salt instance (see CurrentSalt.generation) for the hash cache. */
  generation: number
  salt: Buffer
  orgKey: Buffer
}

/**
 * HMAC costs ~4 us; the same user sends many events, so results are cached per salt period
 * and id. The cache lives in memory only, like the request that carried the id.
 */
export function createIdHasher(cacheSize: number) {
  const cache = new LRUCache<string, string>({ max: Math.max(1, cacheSize) })
  // A batch from an SDK carries one user and one session: the last answer per kind saves the
  // key concatenation and the LRU bookkeeping for all but its first event.
  const last = { u: { scope: '', id: '', h: '' }, s: { scope: '', id: '', h: '' }, o: { scope: '', id: '', h: '' } }
  /** `scope` names the key (app and period) so that apps never share cache entries. */
  return function hashId(kind: 'u' | 's' | 'o', key: Buffer, scope: string, id: string | undefined): string {
    if (id === undefined || id === '') return ''
    const memo = last[kind]
    if (memo.id === id && memo.scope === scope) return memo.h
    const k = `${scope}\u0000${kind}\u0000${id}`
    let h = cache.get(k)
    if (h === undefined) {
      h = hmacHex(key, `${kind}\u0000${id}`)
      cache.set(k, h)
    }
    memo.scope = scope
    memo.id = id
    memo.h = h
    return h
  }
}

export function createHashIdsStep(hashId: ReturnType<typeof createIdHasher>) {
  /** `anonymous`: what a session stands for when there is no user_id (the sender decides it). */
  return function hashIds(event: ParsedEvent, keys: SaltedKeys, anonymous: 'visitor' | 'installation' = 'visitor'): HashedEvent {
    const scope = `${keys.appId}:${keys.period}:${keys.generation}`
    const sessionHash = hashId('s', keys.salt, scope, event.session_id)
    const userHash = hashId('u', keys.salt, scope, event.user_id)
    // The session hash under the period's salt: the same tab or installation counts once per
    // salt period and can never be linked to the next one (PRIVACY.md 4).
    const kind: UserKind = userHash ? 'user' : sessionHash ? anonymous : ''
    // Built field by field: nothing of the parsed event but these reaches the next step, and
    // V8 allocates a literal far faster than it copies an object rest.
    return {
      id: event.id,
      name: event.name,
      ts: event.ts,
      props: event.props,
      user_hash: userHash || sessionHash,
      user_kind: kind,
      session_hash: sessionHash,
      // One org key for the installation, stable across periods: pseudonymous by design.
      org_hash: hashId('o', keys.orgKey, 'org', event.org_id),
      salt_period: keys.period,
      // Set by apply_plan; present from here so every event has one shape (withProps).
      text: undefined,
      paths: undefined,
    }
  }
}
