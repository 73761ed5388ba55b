// What the materialized views cost per stored row, and whether fewer, wider views cost less
// while every aggregate keeps the same rows (issue 14, "Engine"). Same method as
// bench/studies/insert-cost.ts: a scratch data dir with the real migrations, RowBinary through file(),
// whole-process CPU (all the engine's threads), fresh dedup tokens as the server sends them.
//
//   npx tsx bench/studies/views-cost.ts [--rows 20000] [--inserts 5] [--rounds 3]
//                                       [--variants null-fanout,family-filter,breakdowns-pregroup,no-views,drop-each]
//                                       [--mix bench|varied]
//
// Variants (each measured right after the 9 + 1 views of the migrations, "baseline", A B A B):
//   no-views       events alone
//   drop:<view>    the baseline without one view (drop-each: every view in turn)
//   only:<view>    events and that one view (only-each: every view in turn)
//   null-fanout    events feeds one view into a Null table of only the columns the aggregates
//                  read; the 9 aggregate views read that narrower block (recent_event_ids stays)
//   breakdowns-pregroup  agg_breakdowns_daily's view (the costliest) groups by all 7 dimensions
//                  first and fans the merged states out to the dimensions
//   family-filter  one view passes the rows of the named event families (page_view, app_crash,
//                  ...) into a Null table; the 7 views filtering on a name read it
// Before timing, each variant's aggregates are checked against the baseline's: the same rows
// inserted, every agg_* table merged (OPTIMIZE FINAL) and its finalized rows compared.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import type { EventRow } from '../../src/pipeline/types.ts'
import { benchRows } from './event-rows.ts'
import { openStorage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import { EVENT_ROWS } from '../../src/storage/rows/event-rows.ts'
import { eventsFileInsert } from './file-insert.ts'

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '20000' },
    inserts: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    /** bench: insert-cost's rows (3 names, one set of dimensions); varied: the exactness rows (7 names, varied dimensions, 5 days). */
    mix: { type: 'string', default: 'bench' },
    variants: { type: 'string', default: 'null-fanout,family-filter,breakdowns-pregroup,no-views,drop-each' },
  },
})
const perInsert = Number(args.rows)
const inserts = Number(args.inserts)
const rounds = Number(args.rounds)
if (args.mix !== 'bench' && args.mix !== 'varied') throw new Error('--mix is bench or varied')

/** The exactness mix: every family every view reads, anonymous rows, several days and periods. */
const FAMILIES = ['page_view', 'report_query', 'login', 'app_crash', 'app_stop', 'cm_data_import', 'feedback'] as const
function checkRows(n: number, now: number, seed: number): EventRow[] {
  return Array.from({ length: n }, (_, i): EventRow => {
    const k = (i + seed) * 7919
    const name = FAMILIES[i % FAMILIES.length]!
    const day = 86_400_000 * (k % 5)
    const user = k % 11 === 0 ? '' : (k % 300).toString(16).padStart(16, '0')
    const props: Record<string, string> =
      name === 'page_view' ? { path: `/p/${k % 13}` }
      : name === 'report_query' ? { report: `r${k % 4}`, status: k % 5 === 0 ? 'error' : 'ok' }
      : name === 'app_crash' ? { fingerprint: `f${k % 6}`, error_type: `E${k % 3}`, fatal: k % 2 === 0 ? 'true' : 'false' }
      : name === 'cm_data_import' ? { status: k % 4 === 0 ? 'failed' : 'ok' }
      : name === 'feedback' ? (k % 3 === 0 ? {} : { text: `text ${k % 50}` })
      : {}
    const metrics: Record<string, number> =
      name === 'report_query' ? { duration_ms: k % 4000, rows: k % 700 }
      : name === 'app_stop' ? { uptime_ms: k % 90_000 }
      : name === 'cm_data_import' ? { records: k % 1000 }
      : name === 'feedback' ? { rating: k % 7 }
      : {}
    return [
      `app${k % 2}`, randomUUID(), name, now - day - (i % 1000) * 1000, now, user, '', '', 20412 + (k % 3), props, metrics,
      ['DE', 'FR', 'US'][k % 3]!, '', ['Chrome', 'Firefox'][k % 2]!, '', ['Windows', 'Android'][k % 2]!, '', 'desktop', 'de-DE',
      k % 9 === 0 ? 0 : 1920, 1080, `1.${k % 3}`, 'cloud', user === '' ? '' : 'user',
    ]
  })
}

const dir = mkdtempSync(join(tmpdir(), 'veil-views-cost-'))
const storage = await openStorage({ DATA_DIR: dir, CLICKHOUSE_DATABASE: 'veil', CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: '' })
const client = storage.client
const rowsOf = async <T>(query: string) => (await client.query({ query, format: 'JSONEachRow' })).json<T>()
const run = (query: string) => client.command({ query })
try {
  await migrate(client, { retentionMonths: 24 })
  const views = await rowsOf<{ name: string; create_table_query: string }>(
    "SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView' ORDER BY name",
  )
  const aggs = (await rowsOf<{ name: string }>(
    "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'agg\\_%' AND engine LIKE '%MergeTree' ORDER BY name",
  )).map((t) => t.name)
  const aggViews = views.filter((v) => v.name.startsWith('agg_'))
  const filtered = aggViews.filter((v) => /WHERE \(?name = '/.test(v.create_table_query))
  const FAMILY_NAMES = [...new Set(filtered.map((v) => /name = '([a-z_]+)'/.exec(v.create_table_query)![1]!))]
  console.log(`${views.length} views; family-filter redirects ${filtered.length}: ${filtered.map((v) => v.name).join(', ')} (families ${FAMILY_NAMES.join(', ')})`)
  /** The view's definition reading `from` instead of events. */
  const reading = (q: string, from: string) => {
    const out = q.replace(/FROM veil\.events\b(?!_)/, `FROM veil.${from}`)
    if (out === q) throw new Error(`cannot redirect view: ${q.slice(0, 80)}`)
    return out
  }
  // The columns the aggregate views read from events, nothing else.
  const NARROW = 'app_id, name, ts, user_hash, salt_period, props, metrics, country, os, browser, device_type, lang, screen_w, screen_h, app_version'
  const narrowCols = async () =>
    (await rowsOf<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'events' AND name IN (${NARROW.split(', ').map((c) => `'${c}'`).join(',')}) ORDER BY position`,
    )).map((c) => `${c.name} ${c.type}`).join(', ')
  const allCols = async () =>
    (await rowsOf<{ name: string; type: string }>("SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'events' ORDER BY position"))
      .map((c) => `${c.name} ${c.type}`).join(', ')

  // agg_breakdowns_daily's view (sql/0030) with each event's one state per user computed once per
  // group of equal dimensions, then fanned out to the 7 dimensions and merged: 2 states per group
  // instead of 14 per event. The dimension list repeats 0030's; the exactness check catches drift.
  const BREAKDOWNS_PREGROUP = `CREATE MATERIALIZED VIEW agg_breakdowns_daily_mv TO agg_breakdowns_daily AS
SELECT app_id, dim.1 AS dimension, day, period, name, dim.2 AS value,
       uniqCombinedMergeState(12)(u) AS users, uniqUpToMergeState(32)(uu) AS users_upto, sum(c) AS events
FROM (
  SELECT app_id, toDate(ts) AS day, salt_period AS period, name, country, os, browser, device_type, lang, screen_w, screen_h, app_version,
         uniqCombinedStateIf(12)(user_hash, user_hash != '') AS u, uniqUpToStateIf(32)(user_hash, user_hash != '') AS uu, toUInt64(count()) AS c
  FROM events
  GROUP BY app_id, day, period, name, country, os, browser, device_type, lang, screen_w, screen_h, app_version
)
ARRAY JOIN [
    ('country', toString(country)),
    ('os', toString(os)),
    ('browser', toString(browser)),
    ('device_type', toString(device_type)),
    ('lang', toString(lang)),
    ('screen', if(screen_w = 0, '', concat(toString(screen_w), 'x', toString(screen_h)))),
    ('app_version', toString(app_version))
] AS dim
GROUP BY app_id, dimension, day, period, name, value`

  /** Statements that make a variant from no views at all. */
  async function variantSql(v: string): Promise<string[]> {
    if (v === 'baseline') return views.map((x) => x.create_table_query)
    if (v === 'no-views') return []
    if (v.startsWith('drop:')) {
      const name = v.slice(5)
      if (!views.some((x) => x.name === name)) throw new Error(`no view ${name}`)
      return views.filter((x) => x.name !== name).map((x) => x.create_table_query)
    }
    if (v.startsWith('only:')) {
      const name = v.slice(5)
      if (!views.some((x) => x.name === name)) throw new Error(`no view ${name}`)
      return views.filter((x) => x.name === name).map((x) => x.create_table_query)
    }
    if (v === 'null-fanout') {
      return [
        `CREATE TABLE events_fanout (${await narrowCols()}) ENGINE = Null`,
        `CREATE MATERIALIZED VIEW events_fanout_mv TO events_fanout AS SELECT ${NARROW} FROM events`,
        ...views.map((x) => (aggViews.includes(x) ? reading(x.create_table_query, 'events_fanout') : x.create_table_query)),
      ]
    }
    if (v === 'family-filter') {
      return [
        `CREATE TABLE events_named (${await allCols()}) ENGINE = Null`,
        `CREATE MATERIALIZED VIEW events_named_mv TO events_named AS SELECT * FROM events WHERE name IN (${FAMILY_NAMES.map((n) => `'${n}'`).join(', ')})`,
        ...views.map((x) => (filtered.includes(x) ? reading(x.create_table_query, 'events_named') : x.create_table_query)),
      ]
    }
    if (v === 'breakdowns-pregroup') {
      return views.map((x) => (x.name === 'agg_breakdowns_daily_mv' ? BREAKDOWNS_PREGROUP : x.create_table_query))
    }
    throw new Error(`unknown variant ${v}`)
  }
  async function apply(v: string) {
    const present = await rowsOf<{ name: string; engine: string }>(
      "SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND (engine = 'MaterializedView' OR engine = 'Null')",
    )
    for (const t of present) if (t.engine === 'MaterializedView') await run(`DROP VIEW ${t.name}`)
    for (const t of present) if (t.engine === 'Null') await run(`DROP TABLE ${t.name}`)
    for (const q of await variantSql(v)) await run(q)
  }
  async function emptyTables() {
    for (const t of ['events', 'recent_event_ids', ...aggs]) await run(`TRUNCATE TABLE ${t}`)
  }

  const fileInsert = eventsFileInsert(client)
  let n = 0
  let files = 0
  async function insert(body: Buffer) {
    const path = join(dir, `body-${++files}`)
    writeFileSync(path, body)
    await fileInsert.insert(path, 'RowBinary', { insert_deduplication_token: `views-${process.pid}-${++n}`, deduplicate_blocks_in_dependent_materialized_views: 1 })
    rmSync(path)
  }
  /** Every aggregate's rows, merged and finalized, as text. */
  async function snapshot(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {}
    for (const t of aggs) {
      await run(`OPTIMIZE TABLE ${t} FINAL`)
      const cols = await rowsOf<{ name: string; type: string }>(`SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = '${t}' ORDER BY position`)
      const exprs = cols.map((c) => (c.type.startsWith('AggregateFunction') ? `finalizeAggregation(${c.name})` : c.name))
      const rows = await rowsOf<{ r: string }>(`SELECT toString(tuple(${exprs.join(', ')})) AS r FROM ${t} ORDER BY r`)
      out[t] = rows.map((x) => x.r)
    }
    return out
  }

  const list = args.variants.split(',').flatMap((v) => (v === 'drop-each' ? views.map((x) => `drop:${x.name}`) : v === 'only-each' ? views.map((x) => `only:${x.name}`) : [v]))
  // Exactness first: the same rows (several inserts, so states merge across parts) per variant.
  const now = Date.now()
  const fixed = [0, 1, 2].map((s) => checkRows(5000, now, s))
  const check = async (v: string) => {
    await emptyTables()
    await apply(v)
    for (const rows of fixed) await insert(EVENT_ROWS.encode(rows))
    return snapshot()
  }
  const base = await check('baseline')
  for (const t of aggs) if (base[t]!.length === 0) throw new Error(`the check rows leave ${t} empty: the comparison would prove nothing`)
  const exact: Record<string, string> = {}
  for (const v of list.filter((x) => ['null-fanout', 'family-filter', 'breakdowns-pregroup'].includes(x))) {
    const got = await check(v)
    const differ = aggs.filter((t) => JSON.stringify(got[t]) !== JSON.stringify(base[t]))
    exact[v] = differ.length === 0 ? `identical (${aggs.length} tables, ${aggs.reduce((s, t) => s + base[t]!.length, 0)} rows)` : `DIFFERS in ${differ.join(', ')}`
    console.log(`exactness ${v}: ${exact[v]}`)
  }

  console.log(`${inserts} inserts of ${perInsert} rows (${args.mix} mix) per run, file:RowBinary, ${rounds} rounds, baseline before each variant`)
  const cpu: Record<string, number[]> = {}
  /** Variant minus the baseline run just before it: steadier than medians apart when the load drifts. */
  const paired: Record<string, number[]> = {}
  const loads: number[] = []
  const { loadavg } = await import('node:os')
  async function measure(v: string) {
    await emptyTables()
    await apply(v)
    // Encoded before timing, as bench/studies/insert-cost.ts does: the timed part is the file write and the insert.
    const bodies = Array.from({ length: inserts }, (_, i) =>
      EVENT_ROWS.encode(args.mix === 'varied' ? checkRows(perInsert, Date.now(), i * perInsert) : benchRows(perInsert, Date.now())))
    const c0 = process.cpuUsage()
    for (const body of bodies) await insert(body)
    const c = process.cpuUsage(c0)
    const us = (c.user + c.system) / (inserts * perInsert)
    ;(cpu[v] ??= []).push(us)
    loads.push(loadavg()[0]!)
    console.log(`round  ${v.padEnd(40)} engine CPU ${us.toFixed(1).padStart(5)} us/row  load ${loadavg()[0]!.toFixed(1)}`)
  }
  for (let r = 0; r < rounds; r++) {
    for (const v of list) {
      await measure('baseline')
      await measure(v)
      ;(paired[v] ??= []).push(cpu[v]!.at(-1)! - cpu.baseline!.at(-1)!)
    }
  }
  const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2 }
  const b = median(cpu.baseline!)
  console.log(`\nload average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`)
  const signed = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(1)
  console.log('| variant | engine CPU us/row, median (runs) | median minus baseline | median of paired differences | aggregates |')
  console.log('|---|---|---|---|---|')
  for (const [v, xs] of Object.entries(cpu)) {
    const p = paired[v]
    console.log(`| ${v} | ${median(xs).toFixed(1)} (${xs.map((x) => x.toFixed(1)).join(', ')}) | ${signed(median(xs) - b)} | ${p ? `${signed(median(p))} (${p.map(signed).join(', ')})` : ''} | ${exact[v] ?? ''} |`)
  }
} finally {
  await storage.close()
  rmSync(dir, { recursive: true, force: true })
}
