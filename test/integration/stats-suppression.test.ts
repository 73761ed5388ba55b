// k-anonymity of the reports (PRIVACY.md 8): the suppression rule on its own, and every
// report checked against the raw events, so that no shown total reveals a group under k.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { suppressCells, type Partition } from '../../src/query/suppress.ts'
import { openSeededStats, type SeededStats } from './stats-setup.ts'

const K = 5
const users = (o: Record<string, number>) => new Map(Object.entries(o))

/** The invariant: behind every shown total, the hidden parts are none, all, or hold a cell of k users. */
function protectedEverywhere(u: Map<string, number>, partitions: Partition[], hidden: Set<string>, k: number): boolean {
  return partitions.every((p) => {
    if (hidden.has(p.total) || !u.has(p.total)) return true
    const present = p.parts.filter((id) => u.has(id))
    const h = present.filter((id) => hidden.has(id))
    return h.length === 0 || h.length === present.length || h.some((id) => u.get(id)! >= k)
  })
}

describe('suppressCells', () => {
  it('hides a cell under k and the smallest other cell of its row', () => {
    const u = users({ t: 30, a: 12, b: 7, c: 2 })
    expect([...suppressCells(u, [{ total: 't', parts: ['a', 'b', 'c'] }], K)].sort()).toEqual(['b', 'c'])
  })

  it('adds nothing when the hidden cells already cover k users', () => {
    const u = users({ t: 30, a: 12, b: 7, c: 2 })
    expect([...suppressCells(u, [{ total: 't', parts: ['a', 'b', 'c'] }], K, ['b'])].sort()).toEqual(['b', 'c'])
  })

  it('hides a total under k with all its parts and nothing else', () => {
    const u = users({ t: 4, a: 3, b: 1, g: 50, o: 46 })
    const hidden = suppressCells(u, [{ total: 't', parts: ['a', 'b'] }, { total: 'g', parts: ['t', 'o'] }], K)
    // g - o would give t: o is hidden as well.
    expect([...hidden].sort()).toEqual(['a', 'b', 'o', 't'])
  })

  it('leaves rows alone when no cell is under k', () => {
    expect(suppressCells(users({ t: 30, a: 12, b: 7 }), [{ total: 't', parts: ['a', 'b'] }], K).size).toBe(0)
  })

  it('adds nothing when the cells under k together hold k users', () => {
    const u = users({ t: 30, a: 12, b: 3, c: 2 })
    expect([...suppressCells(u, [{ total: 't', parts: ['a', 'b', 'c'], hiddenUsers: 5 }], K)].sort()).toEqual(['b', 'c'])
    expect([...suppressCells(u, [{ total: 't', parts: ['a', 'b', 'c'], hiddenUsers: 4 }], K)].sort()).toEqual(['a', 'b', 'c'])
  })

  it('breaks ties by id so that answers are stable', () => {
    const u = users({ t: 30, z: 6, y: 6, x: 1 })
    expect([...suppressCells(u, [{ total: 't', parts: ['z', 'y', 'x'] }], K)].sort()).toEqual(['x', 'y'])
  })

  it('protects every row and column total of random tables', () => {
    let seed = 42
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    for (let n = 0; n < 300; n++) {
      const rows = 1 + Math.floor(rand() * 6)
      const cols = 1 + Math.floor(rand() * 6)
      const u = new Map<string, number>()
      const partitions: Partition[] = []
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) if (rand() < 0.8) u.set(`${r}.${c}`, Math.floor(rand() * 12))
        u.set(`r${r}`, Math.max(0, ...Array.from({ length: cols }, (_, c) => u.get(`${r}.${c}`) ?? 0)) + Math.floor(rand() * 4))
        partitions.push({ total: `r${r}`, parts: Array.from({ length: cols }, (_, c) => `${r}.${c}`) })
      }
      for (let c = 0; c < cols; c++) {
        u.set(`c${c}`, Math.max(0, ...Array.from({ length: rows }, (_, r) => u.get(`${r}.${c}`) ?? 0)) + Math.floor(rand() * 4))
        partitions.push({ total: `c${c}`, parts: Array.from({ length: rows }, (_, r) => `${r}.${c}`) })
      }
      const hidden = suppressCells(u, partitions, K)
      for (const [id, v] of u) if (v < K) expect(hidden.has(id)).toBe(true)
      expect(protectedEverywhere(u, partitions, hidden, K)).toBe(true)
    }
  })
})

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

  it('the hidden days of a series cover at least k users', async () => {
    const r = (await s.get(`/v1/stats/events?${q}&event=login`)).body as { series: { points: { bucket: string; suppressed: boolean }[] }[] }
    const hiddenDays = r.series[0]!.points.filter((p) => p.suppressed).map((p) => p.bucket)
    expect(hiddenDays.length).toBeGreaterThan(0)
    expect(await rawUsers("name = 'login' AND has({days:Array(Date)}, toDate(ts))", { days: hiddenDays })).toBeGreaterThanOrEqual(K)
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

  it('never returns a feedback text of a rating under k, nor of fewer than k authors', async () => {
    const r = (await s.get(`/v1/stats/feedback?${q}`)).body as { texts: { text: string }[] }
    const texts = r.texts.map((t) => t.text)
    expect(texts).not.toContain('Crashes when I mail [email]')
    expect(texts.some((t) => t.startsWith('Okay') || t.startsWith('Good'))).toBe(false)
  })

  it('uses the k of each app', async () => {
    // The other app has the same events and k = 3: three login users on day 2 are shown; day 1
    // stays hidden because its two CM importers are under 3.
    const r = (await s.get(`/v1/stats/events?app=other&${q}&event=login`, s.other.read_keys[0])).body as { meta: { k: number }; series: { points: { users: number | null }[] }[] }
    expect(r.meta.k).toBe(3)
    expect(r.series[0]!.points.map((p) => p.users)).toEqual([10, null, 3, 0, 0, 0, 0])
  })
})
