// Tokens in reports (PRIVACY.md 17, src/query/values.ts): rows written as ingestion leaves them,
// with tokens for values fewer than k people had sent, and published_values mapping some of
// them. A published token is shown as its value, merged with that value's plaintext rows; an
// unpublished one never by name: as `:rare` inside a path, counted in `rare` elsewhere.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAppRegistry } from '../../src/apps/apps.ts'
import { loadConfig } from '../../src/config.ts'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import { createStatsRoutes } from '../../src/query/routes.ts'
import { insertSeed, seedWeek, type SeedEvent } from './stats-seed.ts'
import { statsApp } from './stats-setup.ts'

const app = statsApp('values', { k_anonymity: 3 })
const T = { summary: '~00000000000000a1', cand: '~00000000000000b2', jane: '~00000000000000c3', fp: '~00000000000000d4', slow: '~00000000000000e5', kowalski: '~00000000000000f6' }
let storage: Storage
let dir: string
const answers: Record<string, Record<string, unknown>> = {}

function seed(): SeedEvent[] {
  const out: SeedEvent[] = []
  const users = [1, 2, 3, 4]
  for (const u of users) {
    // Two users sent `monthly_summary` before it was published (its token), two after.
    out.push({ day: 0, name: 'report_query', user: u, props: { report: u <= 2 ? T.summary : 'monthly_summary', status: 'ok' }, metrics: { duration_ms: 10 } })
    // A report only one person ran, in every user's slice: each is a token nobody published.
    out.push({ day: 0, name: 'report_query', user: u, props: { report: `~0000000000000${u}${u}${u}`, status: 'ok' }, metrics: { duration_ms: 10 } })
    out.push({ day: 1, name: 'page_view', user: u, props: { path: `/${T.cand}/${T.jane}` } })
    out.push({ day: 2, name: 'app_crash', user: u, props: { fingerprint: T.fp, error_type: 'TypeError', fatal: 'true' } })
    out.push({ day: 3, name: 'feedback', user: u, metrics: { rating: 4 }, props: { text: `export|${T.slow}|${T.kowalski}` } })
  }
  return out
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'veil-values-'))
  const config = loadConfig({ DATA_DIR: join(dir, 'clickhouse') })
  storage = await openStorage(config)
  await migrate(storage.client, { retentionMonths: config.RETENTION_MONTHS })
  const days = seedWeek()
  await insertSeed(storage.client, app.id, days, seed())
  const published = [[T.summary, 'report_query:report', 'monthly_summary'], [T.cand, 'page_view:path/', 'candidates'], [T.slow, 'feedback:text#', 'slow']]
  await storage.client.insert({ table: 'published_values', values: published.map(([token, field, value]) => [app.id, 1, token, field, value, Date.now()]), format: 'JSONCompactEachRow' })
  const routes = createStatsRoutes({ client: storage.client, apps: createAppRegistry([app]), now: () => Date.parse(`${days[6]}T12:00:00Z`) })
  for (const report of ['report-queries', 'pages', 'crashes', 'feedback']) {
    const res = await routes.request(`/v1/stats/${report}?from=${days[0]}&to=${days[6]}`, { headers: { Authorization: `Bearer ${app.read_keys[0]}` } })
    expect(res.status).toBe(200)
    answers[report] = (await res.json()) as Record<string, unknown>
  }
}, 60_000)
afterAll(async () => {
  await storage?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('reports over tokens', () => {
  it('show a published token as its value, one row with the value stored as it is', () => {
    const r = answers['report-queries'] as { reports: { report: string; users: number; queries: number }[]; rare: { events: number } | null }
    expect(r.reports).toEqual([expect.objectContaining({ report: 'monthly_summary', users: 4, queries: 4 })])
  })

  it('count an unpublished value only as rare, never by name', () => {
    const r = answers['report-queries'] as { rare: { events: number } | null; other: unknown }
    // The four one-person reports form one :rare sub-cell of four users (>= k): shown as a count.
    expect(r.rare).toEqual({ events: 4 })
    for (const a of Object.values(answers)) expect(JSON.stringify(a)).not.toMatch(/~[0-9a-f]{16}/)
  })

  it('keep the published prefix of a path and show an unpublished segment as :rare', () => {
    const r = answers.pages as { paths: { path: string; views: number }[] }
    expect(r.paths).toEqual([expect.objectContaining({ path: '/candidates/:rare', views: 4 })])
  })

  it('count a crash fingerprint nobody published in rare', () => {
    const r = answers.crashes as { fingerprints: { rows: unknown[]; rare: { events: number } | null } }
    expect(r.fingerprints.rows).toEqual([])
    expect(r.fingerprints.rare).toEqual({ events: 4 })
  })

  it('show feedback themes that are published, and no word of one person', () => {
    const r = answers.feedback as { themes: { term: string; users: number; count: number }[]; rare: { events: number } | null }
    expect(r.themes).toEqual([{ term: 'export', users: 4, count: 4 }, { term: 'slow', users: 4, count: 4 }])
    expect(r.rare).toEqual({ events: 4 })
  })
})
