// Start-up repair of the aggregates after a crash (F13, docs/durability.md). An insert that a
// kill cut between the events table and its materialized views leaves rows the aggregates never
// get; in direct mode the client's retry of them is (rightly) not stored again, so nothing else
// would ever add them. After an unclean stop, each aggregate is recomputed from the events table
// for the (app, day) pairs of events received shortly before the crash, using each view's own
// SELECT (read from system.tables, so a changed view is repaired as it is now defined).
import type { ClickHouseClient } from '@clickhouse/client'
import { hasTable } from './migrate.ts'

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

/** At most about this many ids are held in one set while unstored ids are looked for (16 bytes each, and the set's overhead). */
export const FORGET_SLICE_IDS = 2_000_000

/**
 * Forgets the ids recent_event_ids holds but events does not, received since `sinceMs`: a kill
 * can cut an insert after its views' parts were written and before the events part was (the
 * engine gives no order between them). The store check would answer the client's retry of such
 * an event as stored already, and the event would be lost. Returns how many were forgotten.
 * The view copies received_at, so an id is compared within its own slice of time: slices of
 * about `sliceIds` ids keep the set of a busy hour from growing with the node's traffic.
 */
export async function forgetUnstoredIds(client: ClickHouseClient, sinceMs: number, sliceIds = FORGET_SLICE_IDS): Promise<number> {
  if (!(await hasTable(client, 'recent_event_ids'))) return 0
  const ms = (name: string) => `fromUnixTimestamp64Milli({${name}:Int64})`
  const [[rows, first, last]] = await (
    await client.query({
      query: `SELECT count(), toUnixTimestamp64Milli(min(received_at)), toUnixTimestamp64Milli(max(received_at)) FROM recent_event_ids WHERE received_at >= ${ms('since')}`,
      query_params: { since: Math.floor(sinceMs) },
      format: 'JSONCompactEachRow',
    })
  ).json<[string, string, string]>()
  if (Number(rows) === 0) return 0
  const slices = Math.max(1, Math.ceil(Number(rows) / sliceIds))
  const step = Math.ceil((Number(last) - Number(first) + 1) / slices)
  let forgotten = 0
  for (let from = Number(first); from <= Number(last); from += step) {
    const inSlice = `received_at >= ${ms('from')} AND received_at < ${ms('to')}`
    const where = `${inSlice} AND event_id NOT IN (SELECT event_id FROM events WHERE ${inSlice})`
    const query_params = { from, to: from + step }
    const [[ghosts]] = await (await client.query({ query: `SELECT count() FROM recent_event_ids WHERE ${where}`, query_params, format: 'JSONCompactEachRow' })).json<[string]>()
    if (Number(ghosts) === 0) continue
    await client.command({ query: `ALTER TABLE recent_event_ids DELETE WHERE ${where}`, query_params, clickhouse_settings: { mutations_sync: '2' } })
    forgotten += Number(ghosts)
  }
  return forgotten
}

/** Recomputes every aggregate for the (app, day) pairs of events received since `sinceMs`. */
export async function repairAggregates(client: ClickHouseClient, sinceMs: number): Promise<RepairResult> {
  return runRepair(client, await planRepair(client, sinceMs))
}
