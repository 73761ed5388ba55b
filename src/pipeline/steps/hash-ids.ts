// hash_ids: user_id and session_id become HMAC-SHA256 under the app's current rotating salt,
// org_id under the app's org key of the period, derived from that salt (PRIVACY.md 4). The raw ids end here. Without a
// user_id, the user of record is the session's hash (issue 11): a browser tab session (visitor)
// or an on-prem installation, marked as such in user_kind.
import { createHmac } from 'node:crypto'
import { createKeyedCache, type KeyedCache } from '../../privacy/keyed-cache.ts'
import type { BatchFacts, HashedEvent, ParsedEvent, UserKind } from '../types.ts'

const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0))

/**
 * 64 bits of the HMAC, hex: plenty to count distinct users, short to store. Built as its own
 * 16-character string: `digest('hex').slice(0, 16)` gives a slice that keeps the whole 64-character
 * digest alive, and the hash cache holds three per entry (79 MB against 31 MB for 200 k entries).
 */
export function hmacHex(key: Buffer, value: string): string {
  const d = createHmac('sha256', key).update(value).digest('binary')
  const hex = (i: number, low: boolean) => HEX_CODES[low ? d.charCodeAt(i) & 15 : d.charCodeAt(i) >> 4]!
  return String.fromCharCode(
    hex(0, false), hex(0, true), hex(1, false), hex(1, true), hex(2, false), hex(2, true), hex(3, false), hex(3, true),
    hex(4, false), hex(4, true), hex(5, false), hex(5, true), hex(6, false), hex(6, true), hex(7, false), hex(7, true),
  )
}

export interface SaltedKeys {
  appId: string
  period: number
  /** Identifies the salt instance (see CurrentSalt.generation) for the hash cache. */
  generation: number
  salt: Buffer
  /** The app's org key of this period (salts.ts orgKeyOf). */
  orgKey: Buffer
  /** When the salt retires (ms): the cache of its hashes is emptied then, if not before. */
  retiresAt?: number
}

const IDLE_MS = 3600_000
const SWEEP_MS = 60_000

/** The three hashes of one event's ids ('' for an id not sent). */
export interface IdHashes {
  user: string
  session: string
  org: string
}

const one = (key: Buffer, kind: string, id: string | undefined) => (id === undefined || id === '' ? '' : hmacHex(key, `${kind}\u0000${id}`))

/**
 * HMAC costs ~4 us an id; the same user sends many events, so the hashes of an event's ids
 * (user, session, org together: one digest and one lookup per event) are cached per app,
 * keyed by a keyed digest of the ids (never the ids themselves, PRIVACY.md 15), and the cache
 * of an app is emptied, digest key included, when its salt period changes; `onRotate` is told
 * then. A batch carries one user and one session: the last answer is kept for the request
 * only (in a WeakMap on its keys object), which saves the digest for all but its first event.
 */
export function createIdHasher(cacheSize: number, onRotate: () => void = () => {}, now: () => number = Date.now) {
  const byApp = new Map<string, { period: number; generation: number; usedAt: number; retiresAt: number; cache: KeyedCache<IdHashes> }>()
  const memos = new WeakMap<SaltedKeys, { u?: string; s?: string; o?: string; h: IdHashes }>()
  // An app that sends nothing would keep its cache past its period until its next batch: a
  // cache whose salt retired, or idle for the shortest salt period (1 hour), is emptied as
  // well, and onRotate told (PRIVACY.md 15: nothing of a retired salt stays in memory).
  const sweep = setInterval(() => {
    let cleared = false
    for (const [appId, s] of byApp) {
      if (now() - s.usedAt < IDLE_MS && now() < s.retiresAt) continue
      s.cache.clear()
      byApp.delete(appId)
      cleared = true
    }
    if (cleared) onRotate()
  }, SWEEP_MS)
  sweep.unref()

  function cacheFor(keys: SaltedKeys): KeyedCache<IdHashes> | undefined {
    const s = byApp.get(keys.appId)
    if (!s) {
      const cache = createKeyedCache<IdHashes>(`hash-ids:${keys.appId}`, cacheSize)
      byApp.set(keys.appId, { period: keys.period, generation: keys.generation, usedAt: now(), retiresAt: keys.retiresAt ?? Infinity, cache })
      return cache
    }
    s.usedAt = now()
    if (s.period === keys.period && s.generation === keys.generation) return s.cache
    // A request still holding the salt before this one: hashed, not cached.
    if (keys.period < s.period || (keys.period === s.period && keys.generation < s.generation)) return undefined
    s.cache.clear()
    s.period = keys.period
    s.generation = keys.generation
    s.retiresAt = keys.retiresAt ?? Infinity
    onRotate()
    return s.cache
  }

  return function cachedIdHashes(keys: SaltedKeys, u: string | undefined, s: string | undefined, o: string | undefined): IdHashes {
    const memo = memos.get(keys)
    if (memo && memo.u === u && memo.s === s && memo.o === o) return memo.h
    const cache = cacheFor(keys)
    // Lengths first, so that no two triples of ids give the same input.
    const raw = `${u?.length ?? -1},${s?.length ?? -1},${o?.length ?? -1}|${u ?? ''}${s ?? ''}${o ?? ''}`
    let h = cache?.get(raw)
    if (h === undefined) {
      // The org key is the app's of this period: one customer hashes differently per app and period.
      h = { user: one(keys.salt, 'u', u), session: one(keys.salt, 's', s), org: one(keys.orgKey, 'o', o) }
      cache?.set(raw, h)
    }
    memos.set(keys, { u, s, o, h })
    return h
  }
}

/** What hash_ids reads of the run: the request's keys, and the batch's facts for what a session stands for. */
export interface HashIdsContext {
  keys: SaltedKeys
  batch: Pick<BatchFacts, 'os' | 'deployment'>
}

export function createHashIdsStep(idHashes: ReturnType<typeof createIdHasher>) {
  return function hashIds(event: ParsedEvent, ctx: HashIdsContext): HashedEvent {
    const { keys, batch } = ctx
    const h = idHashes(keys, event.user_id, event.session_id, event.org_id)
    // Without a user_id, the session stands for the user: a browser tab (visitor), or the
    // installation when the on-prem SDK sent it (it names its OS or its deployment).
    const anonymous: UserKind = batch.os || batch.deployment === 'onprem' ? 'installation' : 'visitor'
    // The session hash under the period's salt: the same tab or installation counts once per
    // salt period and can never be linked to the next one (PRIVACY.md 4).
    const kind: UserKind = h.user ? 'user' : h.session ? anonymous : ''
    // Built field by field: nothing of the parsed event but these reaches the next step, and
    // V8 allocates a literal far faster than it copies an object rest.
    return {
      id: event.id,
      name: event.name,
      ts: event.ts,
      props: event.props,
      user_hash: h.user || h.session,
      user_kind: kind,
      session_hash: h.session,
      org_hash: h.org,
      salt_period: keys.period,
      // Set by apply_plan; present from here so every event has one shape (withProps).
      text: undefined,
      paths: undefined,
    }
  }
}
