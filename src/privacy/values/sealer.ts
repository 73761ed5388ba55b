// What the seal-values step asks of the values room: the stored form of one value of one field.
// A published value is stored as it is; any other as its token, and the first time this node
// sees a token its sealed copy is queued for sealed_values (sql/0050_values.sql).
import { LRUCache } from 'lru-cache'
import { createValuesKeys, type PeriodKey } from './keys.ts'
import { isToken, seal, tokenOf } from './seal.ts'
import type { PublishedSet } from './published-set.ts'
import { slotOf } from '../salts.ts'

/** A row of sealed_values: app, period, field, token, ciphertext, expires_at (seconds). */
export type SealedRow = [app_id: string, period: number, field: string, token: string, sealed: string, expires_at: number]

/** A row of verbatim_texts (sql/0051): app, received_at (ms), event name, prop key, scrubbed text. */
export type VerbatimRow = [app_id: string, received_at: number, name: string, key: string, text: string]

export interface SealerOptions {
  published: PublishedSet
  /** Takes sealed copies to storage (a batching writer); a failed write is reported back. */
  write(rows: SealedRow[]): Promise<void>
  /** Takes the texts of props declared `verbatim` to their own table; none without it. */
  writeVerbatim?(rows: VerbatimRow[]): Promise<void>
  /** Tokens remembered as sealed already, per node (a bound on memory: tokens only, never a value). */
  seenSize?: number
}

/** A period's key with the time its sealed copies may live until (the salt's deletion). */
export type SealingKey = PeriodKey & { expiresAt: number }

export interface ValueSealer {
  /** The period key of a request's salt; the same object for every request of one salt. */
  periodKey(keys: { appId: string; period: number; generation: number; salt: Buffer }, rotationHours: number): SealingKey
  /** The stored form of `value` in `field`: the value when published, else its token. */
  store(key: SealingKey, field: string, value: string): string
  /** Keeps a scrubbed text of a prop the plan declares `verbatim` (sql/0051, 30 days). */
  keepVerbatim(row: VerbatimRow): void
  readonly published: PublishedSet
  /** Sealed copies queued and not yet confirmed written; tests wait for 0. */
  pending(): number
}

export function createValueSealer(opts: SealerOptions): ValueSealer {
  const keyOf = createValuesKeys()
  const sealing = new WeakMap<PeriodKey, SealingKey>()
  // Keyed by the token alone: the key of every app and period differs, so their tokens do too.
  const seen = new LRUCache<string, true>({ max: Math.max(1, opts.seenSize ?? 100_000) })
  let queue: SealedRow[] = []
  let verbatim: VerbatimRow[] = []
  let inFlight = 0
  let scheduled = false

  // Copies of one tick go out as one write; events never wait for them (a lost copy only
  // delays publication: the token is sealed again once this node forgets it, or by another node).
  const flush = () => {
    scheduled = false
    const texts = verbatim
    verbatim = []
    if (texts.length > 0 && opts.writeVerbatim) {
      inFlight += texts.length
      const done = () => void (inFlight -= texts.length)
      opts.writeVerbatim(texts).then(done, done)
    }
    const rows = queue
    queue = []
    if (rows.length === 0) return
    inFlight += rows.length
    opts.write(rows).then(
      () => void (inFlight -= rows.length),
      () => {
        inFlight -= rows.length
        for (const r of rows) seen.delete(r[3])
      },
    )
  }

  return {
    published: opts.published,
    periodKey(keys, rotationHours) {
      const k = keyOf(keys)
      let s = sealing.get(k)
      // The copy lives as long as its key: the salt retires at the end of its calendar slot.
      if (!s) sealing.set(k, (s = { ...k, expiresAt: Math.floor(slotOf(k.period * 1000, rotationHours).end / 1000) }))
      return s
    },
    store(key, field, value) {
      if (opts.published.has(key.appId, field, value) && !isToken(value)) return value
      const token = tokenOf(key.secret, field, value)
      if (!seen.has(token)) {
        seen.set(token, true)
        queue.push([key.appId, key.period, field, token, seal(key.key, field, token, value), key.expiresAt])
        if (!scheduled) (scheduled = true), queueMicrotask(flush)
      }
      return token
    },
    keepVerbatim(row) {
      if (!opts.writeVerbatim) return
      verbatim.push(row)
      if (!scheduled) (scheduled = true), queueMicrotask(flush)
    },
    pending: () => queue.length + verbatim.length + inFlight,
  }
}
