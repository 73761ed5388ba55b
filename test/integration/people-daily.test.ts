// agg_people_daily (sql/0090), the events per person and day that explore's atoms read for the
// closed-list dimensions: it agrees with the events table after inserts and after the start-up
// repair rebuilds the days an insert cut from the views (F13), explore answers from it what it
// answers from events, and a noisy funnel's periods are the exact funnel's.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import { repairAggregates } from '../../src/storage/schema/repair-aggregates.ts'
import { loadAtoms } from '../../src/query/atoms.ts'
import { loadFunnelRows, resolveSteps } from '../../src/query/funnel.ts'
import { num } from '../../src/query/db.ts'
import type { ReportContext } from '../../src/query/reports/context.ts'
import { copyTemplate } from '../support/engine-template.ts'
import { seededRandom } from '../support/seeded-random.ts'
import { peopleMismatches } from '../support/people-daily.ts'
import { statsApp } from './stats-setup.ts'

const DAY_MS = 86_400_000
const app = statsApp('people-daily')
/** Three days ending yesterday (relative to now, so test:clock moves them too). */
const day0 = Date.parse(new Date(Date.now() - 3 * DAY_MS).toISOString().slice(0, 10))
const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10)
const NAMES = ['login', 'page_view', 'report_query']

let dir: string
let storage: Storage

/**
 * Per day (one salt period each), 40 people with 1 to 5 events of the three names in random
 * order, some in two countries or with an org, and events without a user hash (no person).
 */
function events(seed: number, appId = app.id): Record<string, unknown>[] {
  const random = seededRandom(seed)
  const out: Record<string, unknown>[] = []
  for (let d = 0; d < 3; d++) {
    for (let u = 0; u < 40; u++) {
      const times = 1 + Math.floor(random() * 5)
      for (let e = 0; e < times; e++) {
        const t = day0 + d * DAY_MS + 1000 * Math.floor(random() * 80_000)
        const ts = new Date(t).toISOString().replace('T', ' ').replace('Z', '')
        out.push({
          app_id: appId, event_id: randomUUID(), name: NAMES[Math.floor(random() * 3)], ts, received_at: ts,
          user_hash: u % 13 === 12 ? '' : `h${d}-${u}`, session_hash: '', org_hash: u % 4 === 1 ? `org${u % 3}` : '', salt_period: 500 + d,
          props: {}, metrics: {}, country: random() < 0.2 ? 'AT' : 'DE', city: '', browser: u % 2 ? 'Chrome' : 'Firefox', browser_version: '120',
          os: 'Linux', os_version: '', device_type: 'desktop', lang: 'de', screen_w: 0, screen_h: 0, app_version: '1.0', deployment: 'cloud',
        })
      }
    }
  }
  return out
}

const insert = (rows: Record<string, unknown>[]) => storage.client.insert({ table: 'events', values: rows, format: 'JSONEachRow' })
const views = async () =>
  (await (await storage.client.query({ query: "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'", format: 'JSONEachRow' })).json<{ name: string }>()).map((v) => v.name)

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'veil-people-daily-'))
  const config = loadConfig({ DATA_DIR: join(dir, 'clickhouse') })
  copyTemplate(config.DATA_DIR)
  storage = await openStorage(config)
  await migrate(storage.client, { retentionMonths: config.RETENTION_MONTHS })
  // Three inserts: a person's rows of one day are in several parts until a merge.
  for (const seed of [1, 2, 3]) await insert(events(seed))
}, 60_000)
afterAll(async () => {
  await storage?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('agg_people_daily', () => {
  it('holds each person\'s events per day, name, period and dimensions as the events table does, after several inserts', async () => {
    expect(await peopleMismatches(storage.client, app.id)).toEqual([])
  })

  it('gives explore\'s atoms the same figures as the events table, by a dimension and filtered on one', async () => {
    const q = { app: app.id, from: dayOf(day0), to: dayOf(day0 + 2 * DAY_MS), names: ['page_view', 'login'], key: { space: 'country', sql: 'toString(country)' }, where: "has(['Chrome'], toString(browser))", levels: ['cell', 'slice'] as const }
    const fromEvents = await loadAtoms(storage.client, { ...q, source: 'events' })
    const fromPeople = await loadAtoms(storage.client, { ...q, source: 'people' })
    expect(fromPeople.get('cell')!.length).toBeGreaterThan(6)
    const sorted = (m: typeof fromEvents) => [...m].map(([l, atoms]) => [l, atoms.map((a) => JSON.stringify(a)).sort()])
    expect(sorted(fromPeople)).toEqual(sorted(fromEvents))
    expect(fromPeople.get('cell')!.some((a) => (a.orgs ?? 0) > 0)).toBe(true)
    // Without min_orgs_per_cell the release never reads organisations: the rest is the same.
    const withoutOrgs = await loadAtoms(storage.client, { ...q, source: 'people', orgs: false })
    const noOrgs = (m: typeof fromEvents) => new Map([...m].map(([l, atoms]) => [l, atoms.map((a) => ({ ...a, orgs: 0 }))]))
    expect(sorted(withoutOrgs)).toEqual(sorted(noOrgs(fromEvents)))
  })

  it('agrees with events again after the start-up repair rebuilds the days an insert cut from the views (F13)', async () => {
    const mvs = await views()
    expect(mvs).toContain('agg_people_daily_mv')
    for (const v of mvs) await storage.client.command({ query: `DETACH TABLE ${v}` })
    try {
      // Received now (the repair looks back from the crash by receive time), for days past.
      const now = new Date().toISOString().replace('T', ' ').replace('Z', '')
      await insert(events(4).map((e) => ({ ...e, received_at: now })))
    } finally {
      for (const v of mvs) await storage.client.command({ query: `ATTACH TABLE ${v}` })
    }
    expect(await peopleMismatches(storage.client, app.id)).not.toEqual([])
    const repaired = await repairAggregates(storage.client, Date.now() - 60_000)
    expect(repaired.tables).toContain('agg_people_daily')
    expect(await peopleMismatches(storage.client, app.id)).toEqual([])
  })
})

describe('funnel periods', () => {
  it('are the same people and shown steps whether the medians are read (exact) or not (noisy)', async () => {
    const ctx = { client: storage.client, app, range: { from: dayOf(day0), to: dayOf(day0 + 2 * DAY_MS), week: false }, noiseKey: null } as unknown as ReportContext
    const steps = resolveSteps(ctx, { step1: 'login', step2: 'page_view', step3: 'report_query' } as Parameters<typeof resolveSteps>[1])
    const periods = (rows: Record<string, unknown>[]) =>
      rows.filter((r) => num(r.g) === 0).map((r) => ({ period: num(r.period), people: (r.people as unknown[]).map(num), shown: num(r.shown) })).sort((a, b) => a.period - b.period)
    const exact = periods(await loadFunnelRows(ctx, steps, true))
    expect(exact.map((p) => p.period)).toEqual([500, 501, 502])
    expect(exact.some((p) => p.people[2]! > 0 && p.shown > 0)).toBe(true)
    expect(periods(await loadFunnelRows(ctx, steps, false))).toEqual(exact)
  })
})
