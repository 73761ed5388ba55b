// What the seal-values step asks of the values room: the stored form of one value of one field.
// A published value is stored as it is; any other as its token, and the first time this node
// sees a token in a period its sealed copy is queued for sealed_values (sql/0050_values.sql).
import { LRUCache } from 'lru-cache'
import { createValuesKeys, type PeriodKey } from './keys.ts'
import { isToken, seal, tokenOf } from './seal.ts'
import type { PublishedSet } from './published-set.ts'
import { slotOf } from '../salts.ts'

/** A row of sealed_values: app, period, field, token, ciphertext, expires_at (seconds). */
export type SealedRow = [app_id: string, period: number, field: string, token: string, sealed: string, expires_at: number]

export interface SealerOptions {
  published: PublishedSet
  /** Takes sealed copies to storage (a batching writer); a failed write is reported back. */
  write(rows: SealedRow[]): Promise<void>
  /** Tokens remembered as sealed already, per node (a bound on memory: tokens only, never a value). */
  seenSize?: number
}

export interface ValueSealer {
  /** The period key of a request's salt, with the time its sealed copies may live until. */
  periodKey(keys: { appId: string; period: number; generation: number; salt: Buffer }, rotationHours: number): PeriodKey & { expiresAt: number }
  /** The stored form of `value` in `field`: the value when published, else its token. */
  store(key: PeriodKey & { expiresAt: number }, field: string, value: string): string
  readonly published: PublishedSet
  /** Sealed copies queued and not yet confirmed written; tests wait for 0. */
  pending(): number
}

export function createValueSealer(opts: SealerOptions): ValueSealer {
  const keyOf = createValuesKeys()
  const seen = new LRUCache<string, true>({ max: Math.max(1, opts.seenSize ?? 100_000) })
  let queue: SealedRow[] = []
  let inFlight = 0
  let scheduled = false

  // Copies of one tick go out as one insert; events never wait for them (a lost copy only
  // delays publication: the token is sealed again once this node forgets it, or by another node).
  const flush = () => {
    scheduled = false
    const rows = queue
    queue = []
    inFlight += rows.length
    opts.write(rows).then(
      () => void (inFlight -= rows.length),
      () => {
        inFlight -= rows.length
        for (const r of rows) seen.delete(`${r[0]}\u0000${r[1]}\u0000${r[3]}`)
      },
    )
  }

  return {
    published: opts.published,
    periodKey(keys, rotationHours) {
      const k = keyOf(keys)
      return { ...k, expiresAt: Math.floor(slotOf(k.period * 1000, rotationHours).end / 1000) }
    },
    store(key, field, value) {
      if (!isToken(value) && opts.published.has(key.appId, field, value)) return value
      const token = tokenOf(key.key, field, value)
      const id = `${key.appId}\u0000${key.period}\u0000${token}`
      if (!seen.has(id)) {
        seen.set(id, true)
        queue.push([key.appId, key.period, field, token, seal(key.key, field, token, value), key.expiresAt])
        if (!scheduled) (scheduled = true), queueMicrotask(flush)
      }
      return token
    },
    pending: () => queue.length + inFlight,
  }
}
