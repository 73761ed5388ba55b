// Profiles the reports on a kept data set: generates it once into --dir (reused on later runs),
// runs each report a few times over the whole range by week and prints min and median wall
// time, to compare changes to the report SQL quickly (embedded chDB keeps no query_log).
// Usage: npx tsx bench/query-profile.ts --dir /tmp/veil-profile [--events 1000000] [--days 90] [--only crashes]
import { existsSync } from 'node:fs'
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
    dir: { type: 'string', default: '/tmp/veil-query-profile' },
    events: { type: 'string', default: '1000000' },
    days: { type: 'string', default: '90' },
    runs: { type: 'string', default: '5' },
    only: { type: 'string', default: '' },
    settings: { type: 'string', default: '' },
    verbose: { type: 'boolean', default: false },
  },
})
const DAYS = Number(args.days)
const fresh = !existsSync(join(args.dir, 'clickhouse'))
const config = loadConfig({ DATA_DIR: join(args.dir, 'clickhouse') })
const storage = await openStorage(config)
try {
  await migrate(storage.client, { retentionMonths: config.RETENTION_MONTHS })
  // The data's last day is pinned to the day it was generated, so a kept set stays in range.
  const end = fresh ? Date.now() : Number((await (await storage.client.query({ query: 'SELECT toUnixTimestamp64Milli(max(ts)) AS t FROM events', format: 'JSONEachRow' })).json<{ t: string }>())[0]!.t)
  if (fresh) {
    await generateEvents(storage.client, { appId: 'bench', events: Number(args.events), days: DAYS, users: 50000, end })
    for (const t of ['agg_events_daily', 'agg_breakdowns_daily', 'agg_pages_daily', 'agg_crashes_daily', 'agg_sessions_daily', 'agg_report_queries_daily', 'agg_imports_daily', 'agg_feedback_daily', 'agg_feedback_words_daily']) {
      await storage.client.command({ query: `OPTIMIZE TABLE ${t} FINAL` })
    }
  }
  // --settings 'a=1,b=2' adds ClickHouse settings to every report query; --verbose times each query.
  const extra = Object.fromEntries(args.settings.split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]))
  const query = storage.client.query.bind(storage.client)
  storage.client.query = (async (p: Parameters<typeof query>[0]) => {
    const t0 = performance.now()
    const rs = await query({ ...p, clickhouse_settings: { ...p.clickhouse_settings, ...extra } })
    if (args.verbose) console.log(`  ${(performance.now() - t0).toFixed(0).padStart(5)} ms  ${p.query.replace(/\s+/g, ' ').slice(0, 110)}`)
    return rs
  }) as typeof storage.client.query
  const app = { id: 'bench', write_keys: [randomKey('wk')], read_keys: [randomKey('rk')], salt_rotation_hours: 24, honor_gpc: true, k_anonymity: 5 }
  const routes = createStatsRoutes({ client: storage.client, apps: createAppRegistry([app]), now: () => end })
  const day = (offset: number) => new Date(end - offset * 86_400_000).toISOString().slice(0, 10)
  const reports = ['events', 'events?event=report_query', 'breakdown?dimension=country', 'breakdown?dimension=app_version&event=app_crash', 'pages', 'crashes', 'sessions', 'report-queries', 'imports', 'changes', 'feedback']
  for (const report of reports.filter((r) => !args.only || r.startsWith(args.only))) {
    const url = `/v1/stats/${report}${report.includes('?') ? '&' : '?'}from=${day(DAYS - 1)}&to=${day(0)}&interval=week`
    const times: number[] = []
    for (let i = 0; i < Number(args.runs); i++) {
      const t0 = performance.now()
      const res = await routes.request(url, { headers: { Authorization: `Bearer ${app.read_keys[0]}` } })
      await res.text()
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    console.log(`${report.padEnd(48)} min ${times[0]!.toFixed(0).padStart(5)} ms  median ${times[times.length >> 1]!.toFixed(0).padStart(5)} ms`)
  }
} finally {
  await storage.close()
}
