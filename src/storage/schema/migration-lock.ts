// A lock for schema migrations, so that nodes starting together apply each migration once.
// ClickHouse has no compare-and-set, but it deduplicates inserts by insert_deduplication_token
// (atomically in Keeper on a replicated table): of several inserts claiming lock generation g+1
// with the token `lock-g+1`, exactly one is stored, and its owner holds the lock. A holder that
// dies leaves a lease that expires. Rows are kept (two per migration run): were old ones
// deleted, generation numbers would start again at 1, and the deduplication memory of inserts
// would silently drop the new claims of `lock-1`.
import { randomUUID } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'

export const LOCK_TABLE = 'schema_migrations_lock'

export function lockTableStatement(cluster?: string): string {
  const where = cluster ? ` ON CLUSTER '${cluster}'` : ''
  const engine = cluster ? `ReplicatedMergeTree('/clickhouse/tables/all/{database}/${LOCK_TABLE}', '{replica}')` : 'MergeTree'
  const window = cluster ? 'replicated_deduplication_window' : 'non_replicated_deduplication_window'
  return `CREATE TABLE IF NOT EXISTS ${LOCK_TABLE}${where}
(generation UInt64, owner String, released UInt8, expires_at DateTime64(3, 'UTC'))
ENGINE = ${engine} ORDER BY (generation, released)
SETTINGS ${window} = 1000`
}

export interface LockOptions {
  /** How long a holder may take before others assume it died. */
  leaseMs?: number
  /** Between looks at a held lock. */
  pollMs?: number
  /** Give up waiting for another node after this long. */
  waitMs?: number
}

interface LockRow {
  gen: string
  owner: string
  released: number
  expired: number
}

export class MigrationLockTimeoutError extends Error {
  override name = 'MigrationLockTimeoutError'
}

/** Runs `work` while holding the migration lock. */
export async function withMigrationLock<T>(client: ClickHouseClient, work: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const { leaseMs = 10 * 60_000, pollMs = 250, waitMs = 15 * 60_000 } = opts
  const me = randomUUID()
  const until = Date.now() + waitMs
  let generation = 0n
  for (;;) {
    const rows = await latest(client)
    const top = rows[0]
    generation = BigInt(top?.gen ?? 0)
    const free = !top || rows.some((r) => r.released === 1) || rows.every((r) => r.expired === 1)
    if (free) {
      const next = generation + 1n
      await client.insert({
        table: LOCK_TABLE,
        values: [{ generation: next.toString(), owner: me, released: 0, expires_at: Date.now() + leaseMs }],
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: `lock-${next}`, insert_deduplicate: 1, date_time_input_format: 'best_effort' },
      })
      const claimed = await latest(client)
      if (claimed.some((r) => BigInt(r.gen) === next && r.owner === me && r.released === 0)) {
        generation = next
        break
      }
    }
    if (Date.now() > until) throw new MigrationLockTimeoutError(`waited ${waitMs} ms for another node's migrations (lock ${LOCK_TABLE})`)
    await new Promise((r) => setTimeout(r, pollMs))
  }
  try {
    return await work()
  } finally {
    await client.insert({
      table: LOCK_TABLE,
      values: [{ generation: generation.toString(), owner: me, released: 1, expires_at: Date.now() }],
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: `unlock-${generation}`, insert_deduplicate: 1, date_time_input_format: 'best_effort' },
    })
  }
}

/** The rows of the newest generation: a claim, and a release once it is released. */
async function latest(client: ClickHouseClient): Promise<LockRow[]> {
  // The lease was stamped by a node's clock (Date.now()), so it is judged on this node's clock
  // too, not the engine's now64(): in production both are the wall clock.
  const rs = await client.query({
    query: `SELECT toString(generation) AS gen, owner, released, toUInt8(expires_at < fromUnixTimestamp64Milli({now:Int64})) AS expired
      FROM ${LOCK_TABLE} WHERE generation = (SELECT max(generation) FROM ${LOCK_TABLE}) ORDER BY released`,
    query_params: { now: Date.now() },
    format: 'JSONEachRow',
  })
  return rs.json<LockRow>()
}
