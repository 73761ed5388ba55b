// Start-up repair of the aggregates after a crash (F13, docs/durability.md). An insert that a
// kill cut between the events table and its materialized views leaves rows the aggregates never
// get; in direct mode the client's retry of them is (rightly) not stored again, so nothing else
// would ever add them. After an unclean stop, each aggregate is recomputed from the events table
// for the (app, day) pairs of events received shortly before the crash, using each view's own
// SELECT (read from system.tables, so a changed view is repaired as it is now defined).
import type { ClickHouseClient } from '@clickhouse/client'

/** How far before its last sign of life a crashed node may have received rows still in flight. */
export const REPAIR_LOOKBACK_MS = 60 * 60_000

export interface RepairResult {
  pairs: number
  tables: string[]
}

/** What a repair will rewrite: the (app, day) pairs, and per aggregate table its view's SELECT over them. */
export interface RepairPlan {
  /** `app|YYYY-MM-DD` of every event received since the crash's lookback. */
  pairs: string[]
  targets: { table: string; select: string; columns: string }[]
}

const IN_PAIRS = "concat(app_id, '|', toString(toDate(ts))) IN {pairs:Array(String)}"
const FROM_EVENTS = /\bFROM\s+(?:`?\w+`?\.)?`?events`?(?=\s|$)/

/** Reads what a repair of the events received since `sinceMs` would rewrite; writes nothing. */
export async function planRepair(client: ClickHouseClient, sinceMs: number): Promise<RepairPlan> {
  const rs = await client.query({
    query: "SELECT DISTINCT concat(app_id, '|', toString(toDate(ts))) FROM events WHERE received_at >= fromUnixTimestamp64Milli({since:Int64})",
    query_params: { since: Math.floor(sinceMs) },
    format: 'JSONCompactEachRow',
  })
  const pairs = (await rs.json<[string]>()).map((r) => r[0])
  if (pairs.length === 0) return { pairs, targets: [] }
  const views = await (
    await client.query({
      query: "SELECT as_select, create_table_query FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'",
      format: 'JSONEachRow',
    })
  ).json<{ as_select: string; create_table_query: string }>()
  const targets: RepairPlan['targets'] = []
  for (const v of views) {
    const table = /\bTO\s+(?:`?\w+`?\.)?`?(\w+)`?/.exec(v.create_table_query)?.[1]
    // Aggregates only (app_id and day columns); other views of events (recent_event_ids) are not per day.
    if (!table?.startsWith('agg_') || !FROM_EVENTS.test(v.as_select)) continue
    const cols = await (
      await client.query({ query: 'SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {t:String} ORDER BY position', query_params: { t: table }, format: 'JSONCompactEachRow' })
    ).json<[string]>()
    targets.push({ table, select: v.as_select.replace(FROM_EVENTS, `FROM (SELECT * FROM events WHERE ${IN_PAIRS})`), columns: cols.map((c) => `\`${c[0]}\``).join(', ') })
  }
  return { pairs, targets }
}

/** Deletes, then inserts the whole days again, table by table: a uniq state cannot be corrected in place. */
export async function runRepair(client: ClickHouseClient, plan: RepairPlan): Promise<RepairResult> {
  const params = { pairs: plan.pairs }
  for (const { table, select, columns } of plan.targets) {
    await client.command({
      query: `ALTER TABLE ${table} DELETE WHERE concat(app_id, '|', toString(day)) IN {pairs:Array(String)}`,
      query_params: params,
      clickhouse_settings: { mutations_sync: '2' },
    })
    await client.command({ query: `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM (${select})`, query_params: params })
  }
  return { pairs: plan.pairs.length, tables: plan.targets.map((t) => t.table) }
}

/**
 * Forgets the ids recent_event_ids holds but events does not, received since `sinceMs`: a kill
 * can cut an insert after its views' parts were written and before the events part was (the
 * engine gives no order between them). The store check would answer the client's retry of such
 * an event as stored already, and the event would be lost. Returns how many were forgotten.
 */
export async function forgetUnstoredIds(client: ClickHouseClient, sinceMs: number): Promise<number> {
  const has = await (
    await client.query({ query: "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'recent_event_ids'", format: 'JSONCompactEachRow' })
  ).json<[string]>()
  if (Number(has[0]?.[0] ?? 0) === 0) return 0
  const since = 'fromUnixTimestamp64Milli({since:Int64})'
  const where = `received_at >= ${since} AND event_id NOT IN (SELECT event_id FROM events WHERE received_at >= ${since})`
  const query_params = { since: Math.floor(sinceMs) }
  const [[ghosts]] = await (await client.query({ query: `SELECT count() FROM recent_event_ids WHERE ${where}`, query_params, format: 'JSONCompactEachRow' })).json<[string]>()
  if (Number(ghosts) === 0) return 0
  await client.command({ query: `ALTER TABLE recent_event_ids DELETE WHERE ${where}`, query_params, clickhouse_settings: { mutations_sync: '2' } })
  return Number(ghosts)
}

/** Recomputes every aggregate for the (app, day) pairs of events received since `sinceMs`. */
export async function repairAggregates(client: ClickHouseClient, sinceMs: number): Promise<RepairResult> {
  return runRepair(client, await planRepair(client, sinceMs))
}
