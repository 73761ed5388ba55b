// The reports API's edges: read keys and tenant isolation (PRIVACY.md 10), parameter
// validation with readable 400s, and the served OpenAPI description.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSeededStats, type SeededStats } from './stats-setup.ts'
import { ENDPOINTS } from '../../src/query/endpoints.ts'

let s: SeededStats
beforeAll(async () => {
  s = await openSeededStats()
})
afterAll(() => s?.close())

describe('read keys', () => {
  it('a read key of one app gets 403 for another app on every report', async () => {
    for (const e of ENDPOINTS) {
      const res = await s.get(`${e.path}?app=other&dimension=country`, s.shop.read_keys[0])
      expect(res.status, e.path).toBe(403)
      expect(res.body.error).toMatch(/may not read app "other"/)
    }
  })

  it('an app that does not exist is 403 as well, so app ids cannot be probed', async () => {
    expect((await s.get('/v1/stats/events?app=nope')).status).toBe(403)
  })

  it('a write key cannot read, even for its own app', async () => {
    const res = await s.get('/v1/stats/events?app=shop', s.shop.write_keys[0])
    expect(res.status).toBe(401)
    expect(res.body.error).toMatch(/write key/)
  })

  it('no key or an unknown key is 401 with a Bearer challenge', async () => {
    expect((await s.get('/v1/stats/events?app=shop', '')).status).toBe(401)
    expect((await s.get('/v1/stats/events?app=shop', 'rk_not-a-real-key-123')).status).toBe(401)
  })

  it('each read key sees its own app only, and only that app\'s events', async () => {
    const apps = await s.get('/v1/stats/apps', s.other.read_keys[0])
    expect(apps.body).toEqual({ apps: [{ id: 'other', name: 'other', k: 3, salt_rotation_hours: 24 }] })
    const res = await s.get(`/v1/stats/events?from=${s.days[0]}&to=${s.days[6]}`, s.other.read_keys[0])
    expect(res.status).toBe(200)
    // Both apps hold the same seed: a leak across tenants would double the count. With k = 3
    // only the slices under 3 users are left out: CM imports of day 1 (2), export.pdf and
    // label_remove (1 each).
    expect((res.body.total as { events: number }).events).toBe(s.seeded - 4)
  })
})

describe('parameters', () => {
  const cases: [string, RegExp][] = [
    ['/v1/stats/breakdown?dimension=city', /dimension: Invalid option: expected one of "country"\|"os"/],
    ['/v1/stats/breakdown', /dimension: /],
    ['/v1/stats/events?from=2025-02-30', /from: not a calendar date/],
    ['/v1/stats/events?from=yesterday', /from: use a date like 2025-01-31/],
    ['/v1/stats/events?from=2025-03-02&to=2025-03-01', /from \(2025-03-02\) is after to \(2025-03-01\)/],
    ['/v1/stats/events?from=2020-01-01&to=2025-01-01', /at most 800 are allowed/],
    ['/v1/stats/events?interval=month', /interval: Invalid option/],
    ["/v1/stats/events?event=login'%20OR%201=1", /event: an event name like page_view/],
    ['/v1/stats/pages?limit=0', /limit: Too small/],
  ]
  for (const [path, message] of cases) {
    it(`rejects ${decodeURIComponent(path.split('?')[1] ?? 'a missing dimension')} with a 400 naming the parameter`, async () => {
      const res = await s.get(path)
      expect(res.status).toBe(400)
      expect(res.body.error).toMatch(message)
    })
  }

  it('defaults to the last 30 days by day for a key with one app', async () => {
    const res = await s.get('/v1/stats/events')
    expect(res.status).toBe(200)
    const meta = res.body.meta as { app: string; from: string; to: string; interval: string }
    expect(meta).toMatchObject({ app: 'shop', to: s.days[6], interval: 'day' })
    expect((Date.parse(meta.to) - Date.parse(meta.from)) / 86_400_000).toBe(29)
  })
})

describe('OpenAPI', () => {
  it('describes every report with its parameters, the read key and the k-anonymity rule', async () => {
    const res = await s.get('/openapi.json', '')
    expect(res.status).toBe(200)
    const doc = res.body as { openapi: string; info: { description: string }; paths: Record<string, { get: { parameters?: { name: string; schema: { enum?: string[] } }[]; description?: string } }> }
    expect(doc.openapi).toBe('3.1.0')
    for (const e of ENDPOINTS) expect(doc.paths[e.path], e.path).toBeDefined()
    const dimension = doc.paths['/v1/stats/breakdown']!.get.parameters!.find((p) => p.name === 'dimension')
    expect(dimension!.schema.enum).toEqual(['country', 'os', 'browser', 'device_type', 'lang', 'screen', 'app_version'])
    expect(doc.info.description).toMatch(/fewer than k distinct users/)
    expect(doc.paths['/v1/stats/events']!.get.description).toMatch(/comparable only within one period/)
  })
})
