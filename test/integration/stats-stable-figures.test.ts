// Stable figures (issue 27): a figure the reports show does not disappear because more people
// arrived. With the report noise on (the default), an atom's draw depends on its identity, not its
// count, so one more person can only keep it shown; secondary suppression applies to exact figures
// only. Checked on many atoms around the gate, by day and by country, with new small cells added.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAppRegistry } from '../../src/apps/apps.ts'
import { loadConfig } from '../../src/config.ts'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import { createStatsRoutes } from '../../src/query/routes.ts'
import { copyTemplate } from '../support/engine-template.ts'
import { seededRandom } from '../support/seeded-random.ts'
import { statsApp } from './stats-setup.ts'

const DAY_MS = 86_400_000
const app = statsApp('stable', { k_anonymity: 5 })
/** Three days, two to three weeks ago: dates relative to now (test:clock moves them too). */
const day0 = Date.parse(new Date(Date.now() - 17 * DAY_MS).toISOString().slice(0, 10))
const days = [0, 1, 2].map((i) => new Date(day0 + i * DAY_MS).toISOString().slice(0, 10))
const NAMES = Array.from({ length: 16 }, (_, i) => `step_${String.fromCharCode(97 + i)}`)
const PERIOD = 4000

let dir: string
let storage: Storage
let routes: ReturnType<typeof createStatsRoutes>
let person = 0

function row(name: string, day: number, user: string, country: string) {
  const ts = new Date(day0 + day * DAY_MS + 3_600_000 + (person++ % 3_000_000)).toISOString().replace('T', ' ').replace('Z', '')
  return {
    app_id: app.id, event_id: randomUUID(), name, ts, received_at: ts, user_hash: user, session_hash: '', org_hash: '', salt_period: PERIOD + day,
    props: {}, metrics: {}, country, city: '', browser: 'Chrome', browser_version: '120', os: 'Linux', os_version: '',
    device_type: 'desktop', lang: 'de', screen_w: 0, screen_h: 0, app_version: '1.0', deployment: 'cloud',
  }
}

/** Per name and day 4 to 28 people (seeded), around the gate's k + 10, in two countries. */
function firstRows() {
  const random = seededRandom(2727)
  const out = []
  for (const name of NAMES) {
    for (let d = 0; d < 3; d++) {
      const people = 4 + Math.floor(random() * 25)
      for (let u = 0; u < people; u++) out.push(row(name, d, `u-${name}-${d}-${u}`, u % 3 === 0 ? 'AT' : 'DE'))
    }
  }
  return out
}

/** Two more people in every (name, day) atom, one of them in a new country (a small cell), and a new small name. */
function moreRows() {
  const out = []
  for (const name of NAMES) for (let d = 0; d < 3; d++) out.push(row(name, d, `late-${name}-${d}`, 'DE'), row(name, d, `new-country-${name}-${d}`, 'CH'))
  for (let d = 0; d < 3; d++) for (let u = 0; u < 3; u++) out.push(row('step_new', d, `new-${d}-${u}`, 'DE'))
  return out
}

type Point = { bucket: string; users: number | null; events: number | null; suppressed: boolean }
type Series = { name: string; points: Point[] }
type Breakdown = { rows: { value: string; users: number; events: number }[] }

async function get<T>(path: string): Promise<T> {
  const res = await routes.request(path, { headers: { Authorization: `Bearer ${app.read_keys[0]}` } })
  expect(res.status).toBe(200)
  return (await res.json()) as T
}

/** What the reports show: the shown (name, day) points and the shown (name, country) rows. */
async function shown(): Promise<{ points: Map<string, Point>; rows: Map<string, number> }> {
  const r = await get<{ series: Series[] }>(`/v1/stats/events?from=${days[0]}&to=${days[2]}`)
  const points = new Map<string, Point>()
  for (const s of r.series) for (const p of s.points) if (!p.suppressed && (p.users ?? 0) > 0) points.set(`${s.name} ${p.bucket}`, p)
  const rows = new Map<string, number>()
  for (const name of NAMES) {
    const b = await get<Breakdown>(`/v1/stats/breakdown?from=${days[0]}&to=${days[2]}&dimension=country&event=${name}`)
    for (const x of b.rows) rows.set(`${name} ${x.value}`, x.users)
  }
  return { points, rows }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'veil-stable-'))
  const config = loadConfig({ DATA_DIR: join(dir, 'clickhouse') })
  copyTemplate(config.DATA_DIR)
  storage = await openStorage(config)
  await migrate(storage.client, { retentionMonths: config.RETENTION_MONTHS })
  await storage.client.insert({ table: 'events', values: firstRows(), format: 'JSONEachRow' })
  routes = createStatsRoutes({ client: storage.client, apps: createAppRegistry([app]), noiseKey: Buffer.alloc(32, 9) })
}, 60_000)
afterAll(async () => {
  await storage?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('a shown figure stays shown when more people arrive (report noise on)', () => {
  it('keeps every shown day and country row after two more people per atom and new small cells', async () => {
    const before = await shown()
    // The check needs both: atoms shown and atoms hidden near the gate.
    expect(before.points.size).toBeGreaterThan(10)
    expect(before.points.size).toBeLessThan(NAMES.length * 3)
    expect(before.rows.size).toBeGreaterThan(5)
    await storage.client.insert({ table: 'events', values: moreRows(), format: 'JSONEachRow' })
    const after = await shown()
    const vanished = [...before.points.keys()].filter((k) => !after.points.has(k))
    const rowsVanished = [...before.rows.keys()].filter((k) => !after.rows.has(k))
    expect({ vanished, rowsVanished }).toEqual({ vanished: [], rowsVanished: [] })
    // Two more people move a shown figure by exactly two: the same draw, two more people.
    for (const [k, p] of before.points) expect({ k, users: after.points.get(k)!.users }).toEqual({ k, users: p.users! + 2 })
  })
})
