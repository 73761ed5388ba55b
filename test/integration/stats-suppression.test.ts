// k-anonymity of the reports (PRIVACY.md 8 and 14): every report checked against the raw
// events, so that no shown figure rests on a group under k and no hidden cell can be worked out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSeededStats, type SeededStats } from './stats-setup.ts'
import { createStatsRoutes } from '../../src/query/routes.ts'
import { createAppRegistry } from '../../src/apps/apps.ts'

const K = 5

describe('reports against the raw events', () => {
  let s: SeededStats
  let q: string
  beforeAll(async () => {
    s = await openSeededStats()
    q = `from=${s.days[0]}&to=${s.days[6]}`
  })
  afterAll(() => s?.close())

  /** Distinct users of the shop's raw events that match a condition, in the seeded week. */
  async function rawUsers(where: string, params: Record<string, unknown>): Promise<number> {
    const [row] = await s.rows<{ n: number }>(
      `SELECT uniqExactIf(user_hash, user_hash != '') AS n FROM events WHERE app_id = 'shop' AND toDate(ts) BETWEEN {from:Date} AND {to:Date} AND ${where}`,
      { from: s.days[0], to: s.days[6], ...params },
    )
    return row!.n
  }

  it('the countries left out of a breakdown add up to other and cover at least k users', async () => {
    const r = (await s.get(`/v1/stats/breakdown?${q}&dimension=country`)).body as { total: { events: number }; rows: { value: string; events: number }[]; other: { events: number } }
    const shown = r.rows.map((x) => x.value)
    expect(r.total.events - r.rows.reduce((n, x) => n + x.events, 0)).toBe(r.other.events)
    expect(await rawUsers('NOT has({shown:Array(String)}, country)', { shown })).toBeGreaterThanOrEqual(K)
  })

  it('the paths left out add up to other and cover at least k users', async () => {
    const r = (await s.get(`/v1/stats/pages?${q}`)).body as { total: { views: number }; paths: { path: string; views: number }[]; other: { value: number } }
    const shown = r.paths.map((x) => x.path)
    expect(r.total.views - r.paths.reduce((n, x) => n + x.views, 0)).toBe(r.other.value)
    expect(await rawUsers("name = 'page_view' AND NOT has({shown:Array(String)}, props['path'])", { shown })).toBeGreaterThanOrEqual(K)
  })

  it('a hidden day of a series is part of no figure: the total is the sum of the shown days', async () => {
    const r = (await s.get(`/v1/stats/events?${q}&event=login`)).body as { series: { total: { events: number }; points: { bucket: string; events: number | null; suppressed: boolean }[] }[] }
    const series = r.series[0]!
    const hiddenDays = series.points.filter((p) => p.suppressed).map((p) => p.bucket)
    expect(hiddenDays.length).toBeGreaterThan(0)
    expect(await rawUsers("name = 'login' AND has({days:Array(Date)}, toDate(ts))", { days: hiddenDays })).toBeLessThan(K)
    expect(series.total.events).toBe(series.points.reduce((n, p) => n + (p.events ?? 0), 0))
  })

  it('every shown cell of every breakdown has at least k users in the raw events', async () => {
    for (const dimension of ['country', 'os', 'browser', 'device_type', 'lang', 'screen', 'app_version']) {
      const r = (await s.get(`/v1/stats/breakdown?${q}&dimension=${dimension}&event=app_crash`)).body as { rows: { users: number }[] }
      for (const row of r.rows) expect(row.users).toBeGreaterThanOrEqual(K)
    }
    const crashes = (await s.get(`/v1/stats/crashes?${q}`)).body as { versions: { version: string; crashes: number | null }[] }
    for (const v of crashes.versions.filter((x) => x.crashes !== null)) {
      expect(await rawUsers("name = 'app_crash' AND app_version = {v:String}", { v: v.version })).toBeGreaterThanOrEqual(K)
    }
  })

  it('never returns a feedback theme of fewer than k authors', async () => {
    const r = (await s.get(`/v1/stats/feedback?${q}`)).body as { themes: { term: string }[] }
    const terms = r.themes.map((t) => t.term)
    expect(terms).toContain('great')
    for (const few of ['crashes', 'mail', 'okay', 'good', 'owna']) expect(terms).not.toContain(few)
  })

  it('uses the k of each app', async () => {
    // The other app has the same events and k = 3: the three login users of day 2 are shown.
    const r = (await s.get(`/v1/stats/events?app=other&${q}&event=login`, s.other.read_keys[0])).body as { meta: { k: number }; series: { points: { users: number | null }[] }[] }
    expect(r.meta.k).toBe(3)
    expect(r.series[0]!.points.map((p) => p.users)).toEqual([10, 8, 3, 0, 0, 0, 0])
  })

  it('decides a k above 33 on the uniqCombined states (users_upto counts only to 32)', async () => {
    const { ENDPOINTS } = await import('../../src/query/endpoints.ts')
    const app = { ...s.shop, k_anonymity: 40 }
    const range = { from: s.days[0]!, to: s.days[6]!, week: false }
    // No slice of the seed has 40 users: every report answers, and lists nothing.
    for (const e of ENDPOINTS) {
      // Explore and funnels name what they count (event, steps); the other reports ignore those.
      const named: Record<string, object> = { '/v1/stats/explore': { event: 'login', by: 'country' }, '/v1/stats/funnel': { step1: 'login', step2: 'page_view' } }
      const text = JSON.stringify(await e.run({ client: s.storage.client, app, range }, { interval: 'day', dimension: 'country', limit: 50, ...named[e.path] } as never))
      // The event and step names a query names are echoed back; nothing else may be listed.
      const asked = Object.values(named[e.path] ?? {})
      for (const name of ['login', 'page_view', '/home', 'monthly_alarms', 'fp-a', 'DE'].filter((n) => !asked.includes(n))) expect({ path: e.path, name, found: text.includes(`"${name}"`) }).toMatchObject({ found: false })
    }
    // With k = 10 (decided on users_upto), login of day 0 (10 users) is shown: both paths see.
    const ten = (await ENDPOINTS[0]!.run({ client: s.storage.client, app: { ...s.shop, k_anonymity: 10 }, range }, { interval: 'day' } as never)) as { names: { name: string }[] }
    expect(ten.names.map((n) => n.name)).toContain('login')
  })
})

describe('reports against the raw events, with noise on (release.ts)', () => {
  let s: SeededStats
  let q: string
  let get: (path: string) => Promise<Record<string, unknown>>
  beforeAll(async () => {
    s = await openSeededStats()
    q = `from=${s.days[0]}&to=${s.days[6]}`
    // A fixed key, so the draws are the same on every run. The seed's names have 1 to 20 people,
    // around the gate's k + 10, and its one salt period spans the whole week (seven day atoms per
    // cell): the checks below see shown and hidden atoms both (the properties hold under any key).
    const routes = createStatsRoutes({ client: s.storage.client, apps: createAppRegistry([s.shop]), now: () => Date.parse(`${s.days[6]}T12:00:00Z`), noiseKey: Buffer.alloc(32, 2) })
    get = async (path) => {
      const res = await routes.request(path, { headers: { Authorization: `Bearer ${s.shop.read_keys[0]}` } })
      expect(res.status).toBe(200)
      return (await res.json()) as Record<string, unknown>
    }
  })
  afterAll(() => s?.close())

  const rawUsers = async (where: string, params: Record<string, unknown>) =>
    (await s.rows<{ n: number }>(`SELECT uniqExactIf(user_hash, user_hash != '') AS n FROM events WHERE app_id = 'shop' AND toDate(ts) BETWEEN {from:Date} AND {to:Date} AND ${where}`, { from: s.days[0], to: s.days[6], ...params }))[0]!.n

  it('lists no country or path under k, and other is the released total less the released rows', async () => {
    const b = (await get(`/v1/stats/breakdown?${q}&dimension=country`)) as { total: { events: number }; rows: { value: string; events: number }[]; other: { events: number } | null }
    for (const row of b.rows) expect(await rawUsers('country = {v:String}', { v: row.value })).toBeGreaterThanOrEqual(K)
    expect(b.other?.events ?? 0).toBe(Math.max(0, b.total.events - b.rows.reduce((n, x) => n + x.events, 0)))
    const p = (await get(`/v1/stats/pages?${q}`)) as { total: { views: number }; paths: { path: string; views: number }[]; other: { value: number } | null }
    for (const row of p.paths) expect(await rawUsers("name = 'page_view' AND props['path'] = {v:String}", { v: row.path })).toBeGreaterThanOrEqual(K)
    expect(p.other?.value ?? 0).toBe(Math.max(0, p.total.views - p.paths.reduce((n, x) => n + x.views, 0)))
  })

  it('a hidden day of a series is part of no figure, and a shown one has k people: each total is the sum of its shown days', async () => {
    const r = (await get(`/v1/stats/events?${q}`)) as { series: { name: string; total: { events: number }; points: { bucket: string; events: number | null; suppressed: boolean }[] }[] }
    expect(r.series.length).toBeGreaterThan(0)
    for (const series of r.series) {
      for (const p of series.points.filter((x) => !x.suppressed && (x.events ?? 0) > 0)) expect(await rawUsers('name = {n:String} AND toDate(ts) = {d:Date}', { n: series.name, d: p.bucket })).toBeGreaterThanOrEqual(K)
      expect(series.total.events).toBe(series.points.reduce((n, p) => n + (p.events ?? 0), 0))
    }
  })

  it('every shown cell of every breakdown has at least k users in the raw events', async () => {
    for (const dimension of ['country', 'os', 'browser', 'device_type', 'lang', 'screen', 'app_version']) {
      const r = (await get(`/v1/stats/breakdown?${q}&dimension=${dimension}&event=app_crash`)) as { rows: { value: string }[] }
      for (const row of r.rows) expect(await rawUsers(`name = 'app_crash' AND ${dimension === 'screen' ? "if(screen_w = 0, '', concat(toString(screen_w), 'x', toString(screen_h)))" : `toString(${dimension})`} = {v:String}`, { v: row.value })).toBeGreaterThanOrEqual(K)
    }
  })

  it('never returns a feedback theme of fewer than k authors', async () => {
    const terms = ((await get(`/v1/stats/feedback?${q}`)) as { themes: { term: string }[] }).themes.map((t) => t.term)
    for (const few of ['crashes', 'mail', 'okay', 'good', 'owna']) expect(terms).not.toContain(few)
  })

  it('answers every report, the same on every ask, with no count of hidden cells', async () => {
    const { ENDPOINTS } = await import('../../src/query/endpoints.ts')
    for (const e of ENDPOINTS) {
      const extra: Record<string, string> = { '/v1/stats/breakdown': '&dimension=country', '/v1/stats/explore': '&event=login&by=country', '/v1/stats/funnel': '&step1=login&step2=page_view' }
      const path = `${e.path}?${q}${extra[e.path] ?? ''}`
      const first = await get(path)
      expect(await get(path)).toEqual(first)
      expect(JSON.stringify(first)).not.toMatch(/"cells"/)
    }
  })

  it('the report-queries table: other is the released total less the released rows', async () => {
    const r = (await get(`/v1/stats/report-queries?${q}`)) as { total: { queries: number | null }; reports: { queries: number }[]; other: { value: number } | null; rare: { events: number } | null }
    expect(r.other?.value ?? 0).toBe(Math.max(0, (r.total.queries ?? 0) - r.reports.reduce((n, x) => n + x.queries, 0) - (r.rare?.events ?? 0)))
  })

  it('withholds averages, percentiles and sums of values: with fakes of known values they would give a person\'s away', async () => {
    const q2 = (await get(`/v1/stats/report-queries?${q}`)) as { total: Record<string, number | null>; reports: Record<string, number | null>[] }
    for (const row of [q2.total, ...q2.reports]) expect([row.avg_ms, row.avg_rows, row.p50_ms, row.p95_ms]).toEqual([null, null, null, null])
    const sessions = (await get(`/v1/stats/sessions?${q}`)) as { total: Record<string, number | null> }
    expect([sessions.total.avg_ms, sessions.total.p50_ms, sessions.total.p95_ms]).toEqual([null, null, null])
    const imports = (await get(`/v1/stats/imports?${q}`)) as { total: Record<string, number | null> }
    expect(imports.total.records).toBeNull()
  })
})
