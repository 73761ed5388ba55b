// Deleting expired salts so that they are gone from disk, not only from SELECT (PRIVACY.md 15).
// A DELETE rewrites the parts and leaves the old ones inactive on disk until the engine's
// cleanup removes them (old_parts_lifetime, sql/0031); the embedded engine may never run that
// cleanup, so if inactive parts remain, the table is rebuilt without the expired rows and the
// old one dropped with SYNC, which removes its files at once. Done only when system.parts agrees.
import type { ClickHouseClient } from '@clickhouse/client'

export class SaltPurgeError extends Error {
  override name = 'SaltPurgeError'
}

const INACTIVE = "SELECT count() AS n FROM system.parts WHERE database = currentDatabase() AND table = 'salts' AND active = 0"

async function count(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<number> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' })
  return Number((await rs.json<{ n: string | number }>())[0]?.n ?? 0)
}

export interface PurgeOptions {
  /** How long to wait for the engine's own cleanup of inactive parts before rebuilding. */
  cleanupWaitMs?: number
  pollMs?: number
}

/** Deletes every salt retired at or before `cutoff` (seconds) from the table and from disk. */
export async function purgeSaltsFromDisk(client: ClickHouseClient, cutoff: number, opts: PurgeOptions = {}): Promise<void> {
  const params = { cutoff }
  await client.command({
    query: 'ALTER TABLE salts DELETE WHERE retired_at <= toDateTime({cutoff:UInt32})',
    query_params: params,
    clickhouse_settings: { mutations_sync: '1' },
  })
  const until = Date.now() + (opts.cleanupWaitMs ?? 2_000)
  while ((await count(client, INACTIVE)) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, opts.pollMs ?? 200))
  if ((await count(client, INACTIVE)) > 0 && (await isPlainMergeTree(client))) await rebuild(client, params)
  const [inactive, left] = await Promise.all([
    count(client, INACTIVE),
    count(client, 'SELECT count() AS n FROM salts WHERE retired_at <= toDateTime({cutoff:UInt32})', params),
  ])
  if (inactive > 0 || left > 0) throw new SaltPurgeError(`expired salts may still be on disk: ${left} rows, ${inactive} inactive parts of the salts table`)
}

// A replicated salts table (cluster schema) is not rebuilt: a copy would share its replication
// path. There the engine's cleanup does the work, and the purge is reported once it has.
async function isPlainMergeTree(client: ClickHouseClient): Promise<boolean> {
  const rs = await client.query({ query: "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = 'salts'", format: 'JSONEachRow' })
  return (await rs.json<{ engine: string }>())[0]?.engine === 'MergeTree'
}

async function rebuild(client: ClickHouseClient, params: { cutoff: number }): Promise<void> {
  const run = (query: string) => client.command({ query, query_params: params })
  await run('DROP TABLE IF EXISTS salts_purge SYNC')
  await run('CREATE TABLE salts_purge AS salts')
  await run('INSERT INTO salts_purge SELECT * FROM salts WHERE retired_at > toDateTime({cutoff:UInt32})')
  await run('EXCHANGE TABLES salts AND salts_purge')
  // A salt another node wrote between the copy and the exchange is in the old table: carry it over.
  await run(`INSERT INTO salts SELECT * FROM salts_purge WHERE retired_at > toDateTime({cutoff:UInt32})
             AND (app_id, period, salt) NOT IN (SELECT app_id, period, salt FROM salts)`)
  await run('DROP TABLE salts_purge SYNC')
}
