// Deleting retired salts so that they are gone from disk, not only from SELECT (PRIVACY.md 15).
// A DELETE rewrites the parts and leaves the old ones inactive on disk until the engine's
// cleanup removes them (old_parts_lifetime, salt-vault.ts); if inactive parts remain, the table
// is rebuilt without the retired rows and the old one dropped with SYNC, which removes its files
// at once. Done only when system.parts agrees. Used for the wrapped salts of a server (salt-vault.ts).
import type { ClickHouseClient } from '@clickhouse/client'

export class SaltPurgeError extends Error {
  override name = 'SaltPurgeError'
}

async function count(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<number> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' })
  return Number((await rs.json<{ n: string | number }>())[0]?.n ?? 0)
}

export interface PurgeOptions {
  /** The database of the salts table (the key store's own, salt-vault.ts). */
  database: string
  /** How long to wait for the engine's own cleanup of inactive parts before rebuilding. */
  cleanupWaitMs?: number
  pollMs?: number
}

/** Deletes every salt retired at or before `cutoff` (seconds) from `<database>.salts` and from disk. */
export async function purgeSaltsFromDisk(client: ClickHouseClient, cutoff: number, opts: PurgeOptions): Promise<void> {
  const db = opts.database
  const params = { cutoff, db }
  const inactive = "SELECT count() AS n FROM system.parts WHERE database = {db:String} AND table = 'salts' AND active = 0"
  await client.command({
    query: `ALTER TABLE ${db}.salts DELETE WHERE retired_at <= toDateTime({cutoff:UInt32})`,
    query_params: params,
    clickhouse_settings: { mutations_sync: '1' },
  })
  const until = Date.now() + (opts.cleanupWaitMs ?? 2_000)
  while ((await count(client, inactive, params)) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, opts.pollMs ?? 200))
  if ((await count(client, inactive, params)) > 0 && (await isPlainMergeTree(client, db))) await rebuild(client, db, params)
  const [stale, left] = await Promise.all([
    count(client, inactive, params),
    count(client, `SELECT count() AS n FROM ${db}.salts WHERE retired_at <= toDateTime({cutoff:UInt32})`, params),
  ])
  if (stale > 0 || left > 0) throw new SaltPurgeError(`retired salts may still be on disk: ${left} rows, ${stale} inactive parts of ${db}.salts`)
}

// A replicated salts table (a cluster) is not rebuilt: a copy would share its replication path.
// There the engine's cleanup does the work, and the purge is reported once it has.
async function isPlainMergeTree(client: ClickHouseClient, db: string): Promise<boolean> {
  const rs = await client.query({ query: "SELECT engine FROM system.tables WHERE database = {db:String} AND name = 'salts'", query_params: { db }, format: 'JSONEachRow' })
  return (await rs.json<{ engine: string }>())[0]?.engine === 'MergeTree'
}

async function rebuild(client: ClickHouseClient, db: string, params: { cutoff: number }): Promise<void> {
  const run = (query: string) => client.command({ query, query_params: params })
  await run(`DROP TABLE IF EXISTS ${db}.salts_purge SYNC`)
  await run(`CREATE TABLE ${db}.salts_purge AS ${db}.salts`)
  await run(`INSERT INTO ${db}.salts_purge SELECT * FROM ${db}.salts WHERE retired_at > toDateTime({cutoff:UInt32})`)
  await run(`EXCHANGE TABLES ${db}.salts AND ${db}.salts_purge`)
  // A salt another node wrote between the copy and the exchange is in the old table: carry it over.
  await run(`INSERT INTO ${db}.salts SELECT * FROM ${db}.salts_purge WHERE retired_at > toDateTime({cutoff:UInt32})
             AND (app_id, period, wrapped) NOT IN (SELECT app_id, period, wrapped FROM ${db}.salts)`)
  await run(`DROP TABLE ${db}.salts_purge SYNC`)
}
