// hash_ids: user_id and session_id become HMAC-SHA256 under the app's current rotating salt,
// org_id under the app's org key of the period (PRIVACY.md 4); the raw ids end here. The person of
// record (`user_hash`, docs/reports.md "The unit: people") is the user, the browser's device, or the installation.
import { createHmac } from 'node:crypto'
import { createKeyedCache, type KeyedCache } from '../../privacy/keyed-cache.ts'
import { createPersonMemory, type PersonMemory } from '../../privacy/person-memory.ts'
import type { BatchFacts, HashedEvent, ParsedEvent, RequestState, UserKind } from '../types.ts'

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

/**
 * put_device's key of a browser's device: HMAC-SHA256 under the app's salt of the period
 * (PRIVACY.md 4) of the truncated address (PRIVACY.md 2: never the full one) and the raw
 * User-Agent; 64 bits as hex, like every hash. It is a keyed digest, unreadable once the salt is
 * deleted, and it dies with the period. Here beside the id hashes, whose per-app cache keeps it.
 */
export function deviceKey(keys: SaltedKeys, ipPrefix: string | undefined, userAgent: string): string {
  return hmacHex(keys.salt, `d\u0000${ipPrefix ?? ''}\u0000${userAgent}`)
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

/** One app's caches of its salt period: id hashes, device keys, who stands for whom (person-memory.ts). */
interface AppHashes {
  period: number
  generation: number
  usedAt: number
  retiresAt: number
  cache: KeyedCache<IdHashes>
  devices: KeyedCache<string>
  people: PersonMemory
}

/**
 * HMAC costs ~4 us an id; the same user sends many events, so the hashes of an event's ids
 * (user, session, org together: one digest and one lookup per event) are cached per app,
 * keyed by a keyed digest of the ids (never the ids themselves, PRIVACY.md 15), and the cache
 * of an app is emptied, digest key included, when its salt period changes; `onRotate` is told
 * then. A batch carries one user and one session: the last answer is kept for the request
 * only (in a WeakMap on its keys object), which saves the digest for all but its first event.
 */
export function createIdHasher(cacheSize: number, onRotate: () => void = () => {}, now: () => number = Date.now) {
  // Per app, with the hashes of its period: who stands for whom (person-memory.ts), emptied with them.
  const byApp = new Map<string, AppHashes>()
  const memos = new WeakMap<SaltedKeys, { u?: string; s?: string; o?: string; h: IdHashes }>()
  // An app that sends nothing would keep its cache past its period until its next batch: a
  // cache whose salt retired, or idle for the shortest salt period (1 hour), is emptied as
  // well, and onRotate told (PRIVACY.md 15: nothing of a retired salt stays in memory).
  const sweep = setInterval(() => {
    let cleared = false
    for (const [appId, s] of byApp) {
      if (now() - s.usedAt < IDLE_MS && now() < s.retiresAt) continue
      s.cache.clear()
      s.devices.clear()
      s.people.clear()
      byApp.delete(appId)
      cleared = true
    }
    if (cleared) onRotate()
  }, SWEEP_MS)
  sweep.unref()

  /** The app's hashes of the keys' period, emptied first when the period changed; undefined for a request still holding an older salt. */
  function hashesFor(keys: SaltedKeys): AppHashes | undefined {
    const s = byApp.get(keys.appId)
    if (!s) {
      const made: AppHashes = {
        period: keys.period, generation: keys.generation, usedAt: now(), retiresAt: keys.retiresAt ?? Infinity,
        cache: createKeyedCache<IdHashes>(`hash-ids:${keys.appId}`, cacheSize),
        devices: createKeyedCache<string>(`devices:${keys.appId}`, cacheSize),
        people: createPersonMemory(cacheSize),
      }
      byApp.set(keys.appId, made)
      return made
    }
    s.usedAt = now()
    if (s.period === keys.period && s.generation === keys.generation) return s
    // A request still holding the salt before this one: hashed, not cached.
    if (keys.period < s.period || (keys.period === s.period && keys.generation < s.generation)) return undefined
    s.cache.clear()
    s.devices.clear()
    s.people.clear()
    s.period = keys.period
    s.generation = keys.generation
    s.retiresAt = keys.retiresAt ?? Infinity
    onRotate()
    return s
  }

  /** The person memory of the keys' app and period; undefined for a request still holding an older salt. */
  function peopleOf(keys: SaltedKeys): PersonMemory | undefined {
    const s = byApp.get(keys.appId)
    return s && s.period === keys.period && s.generation === keys.generation ? s.people : undefined
  }

  /**
   * put_device's key (deviceKey), cached like the id hashes: a browser sends many requests from
   * one address and one User-Agent, and a cache hit (one SHA-256 of the pair under the cache's
   * random key, about 0.5 us) costs a fraction of the HMAC it saves (3.4-6 us with its objects).
   */
  function deviceKeyOf(keys: SaltedKeys, ipPrefix: string | undefined, userAgent: string): string {
    const devices = hashesFor(keys)?.devices
    // The prefix's length first, so that no two pairs give the same input.
    const raw = `${ipPrefix?.length ?? -1}|${ipPrefix ?? ''}${userAgent}`
    let d = devices?.get(raw)
    if (d === undefined) {
      d = deviceKey(keys, ipPrefix, userAgent)
      devices?.set(raw, d)
    }
    return d
  }

  return Object.assign(function cachedIdHashes(keys: SaltedKeys, u: string | undefined, s: string | undefined, o: string | undefined): IdHashes {
    const memo = memos.get(keys)
    if (memo && memo.u === u && memo.s === s && memo.o === o) return memo.h
    const cache = hashesFor(keys)?.cache
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
  }, { peopleOf, deviceKeyOf })
}

/** What hash_ids reads of the run: the request's keys and device, and the batch's facts for what a session stands for. */
export interface HashIdsContext {
  keys: SaltedKeys
  req?: Pick<RequestState, 'device'>
  batch: Pick<BatchFacts, 'os' | 'deployment'>
}

/**
 * The person of record (docs/reports.md "The unit: people"): a user id counts as that user, and
 * a visitor who logs in within the period as one person with the user (person-memory.ts); an
 * anonymous browser session counts as its device (put_device); without a device (on-prem, servers), the
 * session stands for the user: the installation when the on-prem SDK sent it (it names its OS or
 * its deployment), else a visitor.
 */
export function createHashIdsStep(idHashes: ReturnType<typeof createIdHasher>) {
  /** The person of record of one event's id hashes. */
  function personOf(keys: SaltedKeys, h: IdHashes, device: string | undefined, onPrem: boolean): { person: string; kind: UserKind } {
    if (h.user) {
      // A request still holding an older salt has no memory: the user counts by their id.
      return { person: idHashes.peopleOf(keys)?.user(h.user, device) ?? h.user, kind: 'user' }
    }
    if (device !== undefined && h.session) {
      // A browser's session without a login: its device, so its tabs and sessions count once.
      // (An event naming no id at all stays out of the people counts, as before.)
      return { person: idHashes.peopleOf(keys)?.anonymous(device) ?? device, kind: 'visitor' }
    }
    // The session hash under the period's salt: the same tab or installation counts once per
    // salt period and can never be linked to the next one (PRIVACY.md 4).
    if (h.session) return { person: h.session, kind: onPrem ? 'installation' : 'visitor' }
    return { person: '', kind: '' }
  }
  // The last answer of a request (its keys object), reused while its events carry the same ids:
  // idHashes then gives the same object, and nothing between two such events of one synchronous
  // run can change whom they stand for (a user's hash is fixed once given; a device changes
  // hands only through an event with a user id). Saves the memory's lookups on most events.
  const last = new WeakMap<SaltedKeys, { h: IdHashes; device: string | undefined; onPrem: boolean; person: string; kind: UserKind }>()

  return function hashIds(event: ParsedEvent, ctx: HashIdsContext): HashedEvent {
    const { keys, batch } = ctx
    // An on-prem batch (it names its OS or its deployment) is one installation per session,
    // whatever client carried it: one person per installation unless a user id is sent.
    const onPrem = batch.os !== undefined || batch.deployment === 'onprem'
    const device = onPrem ? undefined : ctx.req?.device
    const h = idHashes(keys, event.user_id, event.session_id, event.org_id)
    let memo = last.get(keys)
    // A request's parts (compat dialects) share its keys but may differ in device and batch.
    if (memo === undefined || memo.h !== h || memo.device !== device || memo.onPrem !== onPrem) {
      memo = { h, device, onPrem, ...personOf(keys, h, device, onPrem) }
      last.set(keys, memo)
    }
    const { person, kind } = memo
    // Built field by field: nothing of the parsed event but these reaches the next step, and
    // V8 allocates a literal far faster than it copies an object rest.
    return {
      id: event.id,
      name: event.name,
      ts: event.ts,
      props: event.props,
      user_hash: person,
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
