// The release layer's one grain (src/query/release.ts, atoms.ts, atom-matrix.ts): salt periods
// that start mid-day (a restart) and periods that span days, with noise on. Every released
// figure must be the sum of shown atoms only: a series total is the sum of its shown days.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAppRegistry } from '../../src/apps/apps.ts'
import { loadConfig } from '../../src/config.ts'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import { createStatsRoutes } from '../../src/query/routes.ts'
import { loadAtoms } from '../../src/query/atoms.ts'
import { copyTemplate } from '../support/engine-template.ts'
import { seededRandom } from '../support/seeded-random.ts'
import { statsApp } from './stats-setup.ts'

const K = 5
const DAY_MS = 86_400_000
const app = statsApp('grain', { k_anonymity: K })
/** Three days, two to three weeks ago (dates relative to now, so test:clock moves them too). */
const day0 = Date.parse(new Date(Date.now() - 16 * DAY_MS).toISOString().slice(0, 10))
const days = [0, 1, 2].map((i) => new Date(day0 + i * DAY_MS).toISOString().slice(0, 10))
/**
 * Periods as a node leaves them: A from midnight of day 0, B from a restart at noon of day 0 to
 * the end of day 1 (a 48-hour slot), C on day 2. So day 0 holds two periods and B spans two days.
 */
const PERIODS = [
  { id: 1000, from: day0, to: day0 + DAY_MS / 2 },
  { id: 2000, from: day0 + DAY_MS / 2, to: day0 + 2 * DAY_MS },
  { id: 3000, from: day0 + 2 * DAY_MS, to: day0 + 3 * DAY_MS },
]
const NAMES = Array.from({ length: 24 }, (_, i) => `act_${String.fromCharCode(97 + i)}`)

let dir: string
let storage: Storage
let routes: ReturnType<typeof createStatsRoutes>

/** Each name gets, per period and each day the period touches, 3 to 26 people with 1 to 4 events each (seeded): around the gate's k + 10. */
function events() {
  const random = seededRandom(2606)
  const out: Record<string, unknown>[] = []
  for (const name of NAMES) {
    for (const p of PERIODS) {
      for (let t = p.from; t < p.to; t = Math.min(p.to, Math.floor(t / DAY_MS) * DAY_MS + DAY_MS)) {
        const people = 3 + Math.floor(random() * 24)
        for (let u = 0; u < people; u++) {
          const times = 1 + Math.floor(random() * 4)
          for (let e = 0; e < times; e++) {
            const ts = new Date(t + 1000 * (u * 10 + e + 1)).toISOString().replace('T', ' ').replace('Z', '')
            out.push({
              app_id: app.id, event_id: randomUUID(), name, ts, received_at: ts, user_hash: `h${p.id}-${u}`, session_hash: '', org_hash: '', salt_period: p.id,
              props: {}, metrics: {}, country: u % 3 === 0 ? 'AT' : 'DE', city: '', browser: 'Chrome', browser_version: '120', os: 'Linux', os_version: '',
              device_type: 'desktop', lang: 'de', screen_w: 0, screen_h: 0, app_version: '1.0', deployment: 'cloud',
            })
          }
        }
      }
    }
  }
  return out
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'veil-grain-'))
  const config = loadConfig({ DATA_DIR: join(dir, 'clickhouse') })
  copyTemplate(config.DATA_DIR)
  storage = await openStorage(config)
  await migrate(storage.client, { retentionMonths: config.RETENTION_MONTHS })
  await storage.client.insert({ table: 'events', values: events(), format: 'JSONEachRow' })
  routes = createStatsRoutes({ client: storage.client, apps: createAppRegistry([app]), noiseKey: Buffer.alloc(32, 7) })
}, 60_000)
afterAll(async () => {
  await storage?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

type Point = { bucket: string; users: number | null; events: number | null; suppressed: boolean }
type Series = { name: string; total: { users: number | null; events: number | null; suppressed: boolean }; points: Point[] }
async function get<T>(path: string): Promise<T> {
  const res = await routes.request(path, { headers: { Authorization: `Bearer ${app.read_keys[0]}` } })
  expect(res.status).toBe(200)
  return (await res.json()) as T
}
const sum = (xs: (number | null)[]) => xs.reduce<number>((n, x) => n + (x ?? 0), 0)

describe('one grain for every released figure, with noise on', () => {
  it('has what the check needs: a day of two periods, a period of two days, shown and hidden days', async () => {
    const r = await get<{ series: Series[] }>(`/v1/stats/events?from=${days[0]}&to=${days[2]}`)
    const points = r.series.flatMap((s) => s.points)
    expect(points.some((p) => p.suppressed)).toBe(true)
    expect(points.filter((p) => !p.suppressed && (p.events ?? 0) > 0).length).toBeGreaterThan(10)
    // A series with a hidden day and a shown day: the total must hold the shown one only.
    expect(r.series.some((s) => s.points.some((p) => p.suppressed) && s.points.some((p) => !p.suppressed && (p.events ?? 0) > 0))).toBe(true)
  })

  it('a series total is the sum of its shown days, in people and events, by day and by week', async () => {
    for (const interval of ['day', 'week']) {
      const r = await get<{ total: Series['total']; all: Series; series: Series[] }>(`/v1/stats/events?from=${days[0]}&to=${days[2]}&interval=${interval}`)
      for (const s of r.series) {
        expect({ name: s.name, interval, events: s.total.events }).toEqual({ name: s.name, interval, events: sum(s.points.map((p) => p.events)) })
        expect({ name: s.name, interval, users: s.total.users }).toEqual({ name: s.name, interval, users: sum(s.points.map((p) => p.users)) })
      }
      expect(r.total.events).toBe(sum(r.all.points.map((p) => p.events)))
      expect(r.total.events).toBe(sum(r.series.map((s) => s.total.events)))
    }
  })

  it('a range is the sum of its days: overlapping ranges differ by exactly the days between them', async () => {
    const one = await get<{ series: Series[] }>(`/v1/stats/events?from=${days[0]}&to=${days[1]}`)
    const two = await get<{ series: Series[] }>(`/v1/stats/events?from=${days[0]}&to=${days[2]}`)
    for (const s of two.series) {
      const shorter = one.series.find((x) => x.name === s.name)
      expect(s.total.events! - (shorter?.total.events ?? 0)).toBe(s.points[2]!.events ?? 0)
    }
  })

  it('a breakdown total is the events report\'s total of that name, and other is what its rows leave out', async () => {
    const r = await get<{ series: Series[] }>(`/v1/stats/events?from=${days[0]}&to=${days[2]}`)
    let compared = 0
    for (const s of r.series.slice(0, 8)) {
      const b = await get<{ total: Series['total']; rows: { events: number }[]; other: { events: number } | null }>(`/v1/stats/breakdown?from=${days[0]}&to=${days[2]}&dimension=country&event=${s.name}`)
      // A name without a shown country answers as one never used (breakdown.ts), as without noise.
      if (b.rows.length === 0) continue
      compared++
      expect(b.total).toEqual(s.total)
      expect(b.other?.events ?? 0).toBe(Math.max(0, b.total.events! - sum(b.rows.map((x) => x.events))))
      expect(b.other).not.toHaveProperty('cells')
    }
    expect(compared).toBeGreaterThan(2)
  })

  it('gives the same answer on every ask, and says that it carries noise', async () => {
    const path = `/v1/stats/breakdown?from=${days[0]}&to=${days[2]}&dimension=country`
    const first = await get<{ meta: { noise: boolean } }>(path)
    expect(await get(path)).toEqual(first)
    expect(first.meta.noise).toBe(true)
  })

  it('counts at most two events per person per (period, day, cell)', async () => {
    const atoms = await loadAtoms(storage.client, { app: app.id, from: days[0]!, to: days[2]!, names: [NAMES[0]!], levels: ['slice'] })
    const exact = await (await storage.client.query({
      query: `SELECT salt_period AS period, toString(toDate(ts)) AS d, toUInt32(sum(least(n, 2))) AS e, toUInt32(sum(n)) AS raw FROM (
                SELECT salt_period, toDate(ts) AS ts, user_hash, count() AS n FROM events WHERE app_id = {app:String} AND name = {name:String} GROUP BY salt_period, ts, user_hash)
              GROUP BY period, d ORDER BY period, d`,
      query_params: { app: app.id, name: NAMES[0] },
      format: 'JSONEachRow',
    })).json<{ period: number; d: string; e: number; raw: number }>()
    const got = (atoms.get('slice') ?? []).map((a) => ({ period: a.period, d: a.day, e: a.events })).sort((a, b) => a.period - b.period || a.d.localeCompare(b.d))
    expect(got).toEqual(exact.map(({ period, d, e }) => ({ period: Number(period), d, e: Number(e) })))
    // Period B spans two days: it is two atoms, one per day.
    expect(got.filter((a) => a.period === 2000).map((a) => a.d)).toEqual([days[0], days[1]])
    expect(exact.some((x) => Number(x.raw) > Number(x.e))).toBe(true)
  })

  it('counts a name stored as its token before publication and as itself after it as one atom, each person once', async () => {
    const token = '~00112233aabbccdd'
    const at = new Date(day0 + 2 * DAY_MS + 3_600_000).toISOString().replace('T', ' ').replace('Z', '')
    const row = (name: string, u: number) => ({
      app_id: app.id, event_id: randomUUID(), name, ts: at, received_at: at, user_hash: `hp-${u}`, session_hash: '', org_hash: '', salt_period: 3000,
      props: {}, metrics: {}, country: 'DE', city: '', browser: 'Chrome', browser_version: '120', os: 'Linux', os_version: '', device_type: 'desktop', lang: 'de',
      screen_w: 0, screen_h: 0, app_version: '1.0', deployment: 'cloud',
    })
    await storage.client.insert({ table: 'events', values: [1, 2, 3, 4, 5, 6].flatMap((u) => [row(token, u), row('late_name', u)]), format: 'JSONEachRow' })
    await storage.client.insert({ table: 'published_values', values: [{ app_id: app.id, period: 3000, token, field: 'name', value: 'late_name', published_at: at }], format: 'JSONEachRow' })
    const atoms = (await loadAtoms(storage.client, { app: app.id, from: days[2]!, to: days[2]!, levels: ['slice'] })).get('slice')!.filter((a) => a.name === 'late_name')
    expect(atoms.map((a) => ({ people: a.people, events: a.events }))).toEqual([{ people: 6, events: 12 }])
  })
})
