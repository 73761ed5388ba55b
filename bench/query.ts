// Query benchmark of the reports API (issue 4): generates a data set inside ClickHouse
// (INSERT ... SELECT FROM numbers, through the real migrations and materialized views), then
// times every report, explore and funnel scenario through the HTTP routes and prints p50/p95 of each.
// Usage: npx tsx bench/query.ts [--events 10000000] [--days 90] [--users 50000] [--runs 20] [--keep DIR] [--noise on|off] [--only explore,funnel]
// --only times only the scenarios whose report starts with one of the given names.
// --noise on (default, as REPORT_NOISE) releases the numbers as noisy atoms (src/query/release.ts); off times the exact figures.
// --keep DIR generates into DIR and leaves it there (for bench/query-profile.ts --dir DIR); a later
// run with the same --keep DIR times the reports on that data set again instead of generating.
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createAppRegistry, randomKey } from '../src/apps/apps.ts'
import { loadConfig } from '../src/config.ts'
import { openStorage } from '../src/storage/clickhouse/client.ts'
import { migrate } from '../src/storage/schema/migrate.ts'
import { createStatsRoutes } from '../src/query/routes.ts'
import { generateEvents } from './query-data.ts'

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    days: { type: 'string', default: '90' },
    users: { type: 'string', default: '50000' },
    runs: { type: 'string', default: '20' },
    keep: { type: 'string' },
    noise: { type: 'string', default: 'on' },
    only: { type: 'string', default: '' },
  },
})
const EVENTS = Number(args.events)
const DAYS = Number(args.days)
const RUNS = Number(args.runs)
const only = args.only.split(',').filter(Boolean)

const dir = args.keep ?? mkdtempSync(join(tmpdir(), 'veil-bench-query-'))
const reuse = args.keep !== undefined && existsSync(join(dir, 'clickhouse'))
const config = loadConfig({ DATA_DIR: join(dir, 'clickhouse') })
const storage = await openStorage(config)
try {
  await migrate(storage.client, { retentionMonths: config.RETENTION_MONTHS })
  // A kept data set ends on the day it was generated: the ranges follow it.
  const end = reuse ? Number((await (await storage.client.query({ query: 'SELECT toUnixTimestamp64Milli(max(ts)) AS t FROM events', format: 'JSONEachRow' })).json<{ t: string }>())[0]!.t) : Date.now()
  const t0 = performance.now()
  if (!reuse) await generateEvents(storage.client, { appId: 'bench', events: EVENTS, days: DAYS, users: Number(args.users), end, onChunk: (n) => process.stdout.write(`\rgenerated ${n.toLocaleString()} events`) })
  const genSeconds = (performance.now() - t0) / 1000
  const [sizes] = await (await storage.client.query({
    query: `SELECT (SELECT count() FROM events) AS events,
                   (SELECT count() FROM agg_events_daily) AS agg_events_rows,
                   (SELECT count() FROM agg_breakdowns_daily) AS agg_breakdowns_rows`,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })).json<Record<string, number>>()
  console.log(reuse ? `reusing the data set in ${dir}: ${JSON.stringify(sizes)}` : `\ngenerated in ${genSeconds.toFixed(1)} s: ${JSON.stringify(sizes)}`)
  // Merge the parts of the ten bulk inserts, as background merges soon would on a live system.
  const t1 = performance.now()
  for (const table of reuse ? [] : ['agg_events_daily', 'agg_breakdowns_daily', 'agg_pages_daily', 'agg_crashes_daily', 'agg_sessions_daily', 'agg_report_queries_daily', 'agg_imports_daily', 'agg_feedback_daily', 'agg_feedback_words_daily']) {
    await storage.client.command({ query: `OPTIMIZE TABLE ${table} FINAL` })
  }
  if (!reuse) console.log(`aggregate tables merged in ${((performance.now() - t1) / 1000).toFixed(1)} s`)

  const app = { id: 'bench', write_keys: [randomKey('wk')], read_keys: [randomKey('rk')], salt_rotation_hours: 24, honor_gpc: true, k_anonymity: 5 }
  const routes = createStatsRoutes({ client: storage.client, apps: createAppRegistry([app]), now: () => end, noiseKey: args.noise === 'off' ? null : Buffer.alloc(32, 9) })
  console.log(`report noise: ${args.noise === 'off' ? 'off (exact figures)' : 'on'}`)
  const headers = { Authorization: `Bearer ${app.read_keys[0]}` }
  const day = (offset: number) => new Date(end - offset * 86_400_000).toISOString().slice(0, 10)
  const ranges = [
    { label: '30 days by day', q: `from=${day(29)}&to=${day(0)}&interval=day` },
    { label: `${DAYS} days by week`, q: `from=${day(DAYS - 1)}&to=${day(0)}&interval=week` },
  ]
  const reports = [
    'events', 'events?event=report_query', 'breakdown?dimension=country', 'breakdown?dimension=app_version&event=app_crash',
    'pages', 'crashes', 'sessions', 'report-queries', 'imports', 'changes', 'feedback',
    // Explore and funnels (issue 27) read the events table itself: props are not aggregated.
    'explore?event=page_view', 'explore?event=page_view&by=country', 'explore?event=report_query&by=props.duration_ms',
    'explore?event=cm_data_import&by=props.status&filter=country=DE,AT', 'funnel?step1=login&step2=page_view&step3=report_query',
  ]
  // The machine's load beside the figures: on a shared machine they say as much as the times.
  const load = () => loadavg().map((l) => l.toFixed(1)).join(' ')
  const loadBefore = load()
  console.log(`load average before the queries: ${loadBefore}`)
  const results: { report: string; range: string; p50_ms: number; p95_ms: number; bytes: number }[] = []
  for (const range of ranges) {
    for (const report of reports.filter((r) => only.length === 0 || only.some((o) => r.startsWith(o)))) {
      const url = `/v1/stats/${report}${report.includes('?') ? '&' : '?'}${range.q}`
      const times: number[] = []
      let bytes = 0
      for (let i = 0; i < RUNS + 2; i++) {
        const start = performance.now()
        const res = await routes.request(url, { headers })
        const body = await res.text()
        if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.slice(0, 200)}`)
        if (i >= 2) times.push(performance.now() - start) // two warm-up runs
        bytes = body.length
      }
      times.sort((a, b) => a - b)
      const pct = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!
      results.push({ report, range: range.label, p50_ms: round(pct(0.5)), p95_ms: round(pct(0.95)), bytes })
      console.log(`${range.label.padEnd(18)} ${report.padEnd(48)} p50 ${fmt(pct(0.5))}  p95 ${fmt(pct(0.95))}  (${(bytes / 1024).toFixed(1)} KiB)`)
    }
  }
  const loadAfter = load()
  console.log(`load average after the queries: ${loadAfter}`)
  mkdirSync('bench/results', { recursive: true })
  const file = `bench/results/query-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
  writeFileSync(file, JSON.stringify({ noise: args.noise !== 'off', events: EVENTS, days: DAYS, users: Number(args.users), runs: RUNS, generate_seconds: reuse ? null : genSeconds, reused: reuse, sizes, load_average: { before: loadBefore, after: loadAfter }, results }, null, 2) + '\n')
  console.log(`results: ${file}`)
} finally {
  await storage.close()
  if (!args.keep) rmSync(dir, { recursive: true, force: true })
}

function round(ms: number): number {
  return Number(ms.toFixed(1))
}
function fmt(ms: number): string {
  return `${ms.toFixed(1).padStart(7)} ms`
}
