// GET /v1/stats/rejections with noise on (src/query/rejections.ts, release.ts): its counts are
// released like every report's, per salt period, day and name, gated and noised once; a name is
// listed only where an atom of it passes the gate, and how many names lie behind the unnamed
// counts is withheld. The same data with REPORT_NOISE=off answers exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAppRegistry } from '../../src/apps/apps.ts'
import { loadConfig } from '../../src/config.ts'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import { createStatsRoutes } from '../../src/query/routes.ts'
import { EVENTS_PER_PERSON, releaseAtoms, type Atom } from '../../src/query/release.ts'
import { copyTemplate } from '../support/engine-template.ts'
import { seededRandom } from '../support/seeded-random.ts'
import { statsApp } from './stats-setup.ts'

const K = 5
const DAY_MS = 86_400_000
const KEY = Buffer.alloc(32, 9)
const app = statsApp('rejecting', { k_anonymity: K })
/** Two days a week ago, one salt period each (dates relative to now, so test:clock moves them too). */
const day0 = Date.parse(new Date(Date.now() - 8 * DAY_MS).toISOString().slice(0, 10))
const days = [0, 1].map((i) => new Date(day0 + i * DAY_MS).toISOString().slice(0, 10))

/** Who sends what: a name many send (both days), an undeclared key, a name of 6 people (k, under the gate), and an unpublished token. */
const SENDERS = [
  { kind: 'event', reason: 'not_in_plan', name: 'wishlist_add', key: '', people: [30, 24] },
  { kind: 'prop', reason: 'undeclared_prop', name: 'invoice_paid', key: 'coupon_code', people: [25, 0] },
  { kind: 'event', reason: 'not_in_plan', name: 'quiet_name', key: '', people: [6, 0] },
  { kind: 'event', reason: 'not_in_plan', name: '~0123456789abcdef', key: '', people: [2, 0] },
] as const

/** The rows of unplanned_names, and the atoms the release must be made of (people, events clamped per person). */
function rows() {
  const random = seededRandom(2727)
  const out: Record<string, unknown>[] = []
  const atoms: Atom[] = []
  for (const s of SENDERS) {
    s.people.forEach((people, d) => {
      if (people === 0) return
      let events = 0
      for (let u = 0; u < people; u++) {
        const times = 1 + Math.floor(random() * 4)
        events += Math.min(times, EVENTS_PER_PERSON)
        for (let e = 0; e < times; e++) {
          const at = new Date(day0 + d * DAY_MS + 1000 * (u * 10 + e + 1)).toISOString().replace('T', ' ').replace('Z', '')
          out.push({ app_id: app.id, received_at: at, period: 500 + d, kind: s.kind, reason: s.reason, name: s.name, key: s.key, user_hash: `h${d}-${u}` })
        }
      }
      const rare = s.name.startsWith('~')
      const cell = ['rejections', s.kind, s.reason, rare ? ':rare' : s.name, rare ? '' : s.key].join('\u001f')
      atoms.push({ period: 500 + d, day: days[d]!, cell, people, events })
    })
  }
  return { out, atoms }
}

let dir: string
let storage: Storage
let noisy: ReturnType<typeof createStatsRoutes>
let exact: ReturnType<typeof createStatsRoutes>
const seeded = rows()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'veil-rejections-'))
  const config = loadConfig({ DATA_DIR: join(dir, 'clickhouse') })
  copyTemplate(config.DATA_DIR)
  storage = await openStorage(config)
  await migrate(storage.client, { retentionMonths: config.RETENTION_MONTHS })
  await storage.client.insert({ table: 'unplanned_names', values: seeded.out, format: 'JSONEachRow' })
  noisy = createStatsRoutes({ client: storage.client, apps: createAppRegistry([app]), noiseKey: KEY })
  exact = createStatsRoutes({ client: storage.client, apps: createAppRegistry([app]), noiseKey: null })
}, 60_000)
afterAll(async () => {
  await storage?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

interface Answer {
  meta: { noise: boolean }
  names: { kind: string; event: string; key: string | null; reason: string; events: number; people: number }[]
  unnamed: { kind: string; reason: string; events: number | null; names: number | null; suppressed: boolean }[]
}
async function get(routes: typeof noisy, from = days[0]!, to = days[1]!): Promise<Answer> {
  const res = await routes.request(`/v1/stats/rejections?from=${from}&to=${to}`, { headers: { Authorization: `Bearer ${app.read_keys[0]}` } })
  expect(res.status).toBe(200)
  return (await res.json()) as Answer
}
const named = (a: Answer, event: string) => a.names.find((n) => n.event === event)

describe('rejections with noise on', () => {
  it('releases each name\'s counts as the sum of its shown atoms, gated and noised like every report', async () => {
    const r = await get(noisy)
    expect(r.meta.noise).toBe(true)
    const released = releaseAtoms(seeded.atoms, { key: KEY, app: app.id, k: K, minOrgs: 0 })
    const expected = (name: string) => {
      const shown = released.filter((x) => x.shown && x.atom.cell.split('\u001f')[3] === name)
      return shown.length ? { events: shown.reduce((n, x) => n + x.events, 0), people: shown.reduce((n, x) => n + x.people, 0) } : undefined
    }
    expect(named(r, 'wishlist_add')).toMatchObject(expected('wishlist_add')!)
    expect(named(r, 'invoice_paid')).toMatchObject({ key: 'coupon_code', ...expected('invoice_paid')! })
    // The noise moved the counts: with exact figures they would be the clamped sums.
    const clamped = seeded.atoms.filter((a) => a.cell.includes('wishlist_add')).reduce((n, a) => n + a.events, 0)
    expect([named(r, 'wishlist_add')!.events, named(r, 'invoice_paid')!.events]).not.toEqual([clamped, seeded.atoms.find((a) => a.cell.includes('coupon_code'))!.events])
    // Six people of one period are k, but not k + 10 after the noise: not named, and counted nowhere.
    expect(expected('quiet_name')).toBeUndefined()
    expect(named(r, 'quiet_name')).toBeUndefined()
    // Two people's unpublished name: its kind is said, its count suppressed, how many names withheld.
    expect(r.unnamed).toEqual([{ kind: 'event', reason: 'not_in_plan', events: null, names: null, suppressed: true }])
    expect(JSON.stringify(r)).not.toMatch(/0123456789abcdef/)
  })

  it('gives the same answer on every ask, and a range is the sum of its days', async () => {
    const both = await get(noisy)
    expect(await get(noisy)).toEqual(both)
    const [first, second] = [await get(noisy, days[0], days[0]), await get(noisy, days[1], days[1])]
    expect(named(both, 'wishlist_add')!.events).toBe(named(first, 'wishlist_add')!.events + named(second, 'wishlist_add')!.events)
  })

  it('with REPORT_NOISE=off answers exactly: every name k people of a period sent, with all its events', async () => {
    const r = await get(exact)
    expect(r.meta.noise).toBe(false)
    const events = (name: string) => seeded.out.filter((x) => x.name === name).length
    expect(named(r, 'wishlist_add')).toMatchObject({ events: events('wishlist_add'), people: 54 })
    expect(named(r, 'quiet_name')).toMatchObject({ events: events('quiet_name'), people: 6 })
    expect(r.unnamed).toEqual([{ kind: 'event', reason: 'not_in_plan', events: events('~0123456789abcdef'), names: 1, suppressed: false }])
  })
})
