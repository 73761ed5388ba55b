// Start-up repair of the aggregates after a crash (F13, docs/durability.md). An insert that a
// kill cut between the events table and its materialized views leaves rows the aggregates never
// get; in direct mode the client's retry of them is (rightly) not stored again, so nothing else
// would ever add them. After an unclean stop, each aggregate is recomputed from the events table
// for the (app, day) pairs of events received shortly before the crash, using each view's own
// SELECT (read from system.tables, so a changed view is repaired as it is now defined).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'

const MARKER = 'veil-running.json'

/** How far before its last sign of life a crashed node may have received rows still in flight. */
export const REPAIR_LOOKBACK_MS = 60 * 60_000

export interface RunMarker {
  /** Set when the previous run did not stop cleanly: when it was last alive. */
  crashedAliveAt?: number
  /** Marks a clean stop. */
  clear(): void
}

/** A file in `dir` that says "running", refreshed every `beatMs`; removed by a clean stop. */
export function openRunMarker(dir: string, beatMs = 10_000): RunMarker {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, MARKER)
  let crashedAliveAt: number | undefined
  try {
    crashedAliveAt = Number((JSON.parse(readFileSync(path, 'utf8')) as { aliveAt: number }).aliveAt) || Date.now()
  } catch {
    crashedAliveAt = undefined
  }
  const beat = () => writeFileSync(path, JSON.stringify({ pid: process.pid, aliveAt: Date.now() }))
  beat()
  const timer = setInterval(beat, beatMs)
  timer.unref()
  return {
    crashedAliveAt,
    clear() {
      clearInterval(timer)
      rmSync(path, { force: true })
    },
  }
}

export interface RepairResult {
  pairs: number
  tables: string[]
}

/** Recomputes every aggregate for the (app, day) pairs of events received since `sinceMs`. */
export async function repairAggregates(client: ClickHouseClient, sinceMs: number): Promise<RepairResult> {
  const rs = await client.query({
    query: "SELECT DISTINCT concat(app_id, '|', toString(toDate(ts))) FROM events WHERE received_at >= fromUnixTimestamp64Milli({since:Int64})",
    query_params: { since: Math.floor(sinceMs) },
    format: 'JSONCompactEachRow',
  })
  const pairs = (await rs.json<[string]>()).map((r) => r[0])
  if (pairs.length === 0) return { pairs: 0, tables: [] }
  const views = await (
    await client.query({
      query: "SELECT as_select, create_table_query FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'",
      format: 'JSONEachRow',
    })
  ).json<{ as_select: string; create_table_query: string }>()
  const tables: string[] = []
  const params = { pairs }
  const inPairs = "concat(app_id, '|', toString(toDate(ts))) IN {pairs:Array(String)}"
  for (const v of views) {
    const target = /\bTO\s+(?:`?\w+`?\.)?`?(\w+)`?/.exec(v.create_table_query)?.[1]
    // Aggregates only (app_id and day columns); other views of events (recent_event_ids) are not per day.
    if (!target?.startsWith('agg_') || !/\bFROM\s+(?:`?\w+`?\.)?`?events`?(?=\s|$)/.test(v.as_select)) continue
    const select = v.as_select.replace(/\bFROM\s+(?:`?\w+`?\.)?`?events`?(?=\s|$)/, `FROM (SELECT * FROM events WHERE ${inPairs})`)
    const cols = await (
      await client.query({ query: 'SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {t:String} ORDER BY position', query_params: { t: target }, format: 'JSONCompactEachRow' })
    ).json<[string]>()
    const list = cols.map((c) => `\`${c[0]}\``).join(', ')
    // Delete, then insert the whole days again: a uniq state cannot be corrected in place.
    await client.command({
      query: `ALTER TABLE ${target} DELETE WHERE concat(app_id, '|', toString(day)) IN {pairs:Array(String)}`,
      query_params: params,
      clickhouse_settings: { mutations_sync: '2' },
    })
    await client.command({ query: `INSERT INTO ${target} (${list}) SELECT ${list} FROM (${select})`, query_params: params })
    tables.push(target)
  }
  return { pairs: pairs.length, tables }
}
