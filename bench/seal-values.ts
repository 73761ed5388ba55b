// The seal_values step's CPU per event (PRIVACY.md 17), in process, on the load bench's mix of
// events (bench/payloads.ts: page_view, report_query, login): once with nothing published (every
// value sealed: a keyed digest each, as in a new app's first period) and once with every value
// published (a steady app: set lookups only). The handler A/B (handler-ab.ts) measures the first.
//
//   npx tsx bench/seal-values.ts [--seconds 5]
import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'
import { createSealValuesStep, fieldOf } from '../src/pipeline/steps/seal-values.ts'
import { createValueSealer } from '../src/privacy/values/sealer.ts'
import { createPublishedSet } from '../src/privacy/values/published-set.ts'
import type { ClickHouseClient } from '@clickhouse/client'
import type { AppConfig } from '../src/apps/apps.ts'
import type { HashedEvent } from '../src/pipeline/types.ts'
import type { Props } from '../sdk/core/catalog.ts'

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '5' } } })
const app: AppConfig = { id: 'bench', write_keys: ['wk_benchbench'], read_keys: [], salt_rotation_hours: 24, honor_gpc: true, k_anonymity: 5 }
const keys = { appId: 'bench', period: 1, generation: 1, salt: randomBytes(32), orgKey: randomBytes(32) }

const event = (i: number): HashedEvent => {
  const kind = i % 3
  const props: Props = kind === 0 ? { path: '/reports/:id/view', referrer_path: '/dashboard' } : kind === 1 ? { report: 'monthly_alarms', duration_ms: 1840 + i, rows: 312, status: 'ok' } : { method: 'sso' }
  const name = kind === 0 ? 'page_view' : kind === 1 ? 'report_query' : 'login'
  return { id: '', name, ts: 0, user_hash: 'u', user_kind: 'user', session_hash: 's', org_hash: '', salt_period: 1, props, text: undefined, paths: kind === 0 ? ['path', 'referrer_path'] : undefined }
}
const events = Array.from({ length: 3000 }, (_, i) => event(i))

for (const state of ['nothing published', 'all published'] as const) {
  const published = createPublishedSet(null as unknown as ClickHouseClient)
  if (state === 'all published') {
    published.add('bench', [
      ...['reports', 'view', 'dashboard'].flatMap((v) => [{ field: fieldOf.segment('page_view', 'path'), value: v }, { field: fieldOf.segment('page_view', 'referrer_path'), value: v }]),
      { field: fieldOf.value('report_query', 'report'), value: 'monthly_alarms' }, { field: fieldOf.value('report_query', 'status'), value: 'ok' },
      { field: fieldOf.value('login', 'method'), value: 'sso' },
    ])
  }
  const step = createSealValuesStep(createValueSealer({ published, write: async () => {} }))
  const ctx = { req: { app }, keys }
  for (const e of events) step(e, ctx) // warm-up
  const cpu0 = process.cpuUsage()
  let n = 0
  const until = Date.now() + Number(args.seconds) * 1000
  while (Date.now() < until) {
    for (const e of events) step(e, ctx)
    n += events.length
  }
  const cpu = process.cpuUsage(cpu0)
  console.log(`${state.padEnd(18)} ${((cpu.user + cpu.system) / n).toFixed(3)} us/event (CPU), ${n} events`)
}
