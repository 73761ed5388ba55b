// Issue 26, "Fakes learn nothing exact": with the public write key an attacker sends, beside one
// real person, k-1 fakes (or 10 k fakes) with the same events and known values, through real
// ingestion on a real socket. Over many seeded cells (event names) in which the person is present
// or not, the attacker's simple guesses from the released reports (src/query/release.ts) do no
// better than 3:1 odds and miss her count by more than 25 % in most cells, while the crowd's
// cells of 50 people show people and events within 10 % in nine of ten; the same attack on the
// same store with the noise off (REPORT_NOISE=off) recovers everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { seededRandom } from '../support/seeded-random.ts'
import { until } from '../support/until.ts'
import { createStatsRoutes } from '../../src/query/routes.ts'
import { isSafeName } from '../../sdk/core/shapes.ts'

const K = 5
/** Cells per scenario: with 200 the bounds below are two to three standard deviations from the expected shares. */
const CELLS = 200
const FEW = K - 1
const MANY = 10 * K
/** What the person sends to each cell she is in: her value the attacker wants (EVENTS_PER_PERSON, so the clamp alone hides nothing). */
const HER_EVENTS = 2
/** What each fake of the crowd sends per cell (the utility check reads cells of 2 events a person). */
const FAKE_EVENTS = 2

const app = testApp('sybil', { k_anonymity: K, salt_rotation_hours: 24 })
const letters = (i: number) => String.fromCharCode(97 + Math.floor(i / 26)) + String.fromCharCode(97 + (i % 26))
/** CELLS names of safe shape: a few letter pairs read as a domain (gate_eu) and are refused (sdk/core/shapes.ts). */
const cellsOf = (prefix: string) => Array.from({ length: CELLS + 10 }, (_, i) => `${prefix}_${letters(i)}`).filter((n) => isSafeName(n)).slice(0, CELLS)
const GATE = cellsOf('gate')
const CROWD = cellsOf('crowd')
const random = seededRandom(26)
/** Where the real person is: half the cells, at random (seeded). */
const present = new Map([...GATE, ...CROWD].map((name) => [name, random() < 0.5]))

let s: TestServer

async function send(events: unknown[]) {
  for (let i = 0; i < events.length; i += 100) {
    const res = await fetch(`${s.url}/v1/batch`, post(batch(app.write_keys[0]!, events.slice(i, i + 100))))
    expect(res.status, await res.text()).toBe(202)
  }
}

beforeAll(async () => {
  // The noise as in production (on by default), with a fixed key.
  s = await startTestServer({ apps: [app], env: { REPORT_NOISE_KEY: 'ab'.repeat(32) } })
  const out: unknown[] = []
  const at = (user: string, name: string) => out.push(event({ name, user_id: user }))
  for (let f = 0; f < FEW; f++) for (const name of GATE) at(`fake-few-${letters(f)}`, name)
  for (let f = 0; f < MANY; f++) for (const name of CROWD) for (let e = 0; e < FAKE_EVENTS; e++) at(`fake-many-${letters(f)}`, name)
  for (const name of [...GATE, ...CROWD]) if (present.get(name)) for (let e = 0; e < (name.startsWith('crowd') ? HER_EVENTS : 1); e++) at('the-real-person', name)
  await send(out)
  await s.drained(60_000)
  // Names of an open plan are shown once k people of the period sent them (PRIVACY.md 17): the
  // crowd's at once; the gate cells' too where she is in them (k with the k-1 fakes).
  await s.veil.values.publisher.publishNow()
  // The published names are read by the next statements, not always by the first one after
  // publication (one run under test:clock read every crowd cell as absent just after it): wait
  // until the exact answer lists them all.
  await until(async () => {
    const exact = await view(false)
    return CROWD.every((n) => exact.has(n))
  }, 30_000, 'the crowd names to be published')
}, 120_000)
afterAll(() => s?.stop())

type Names = { names: { name: string; users: number | null; events: number | null }[] }
const day = () => new Date().toISOString().slice(0, 10)

/** The attacker's view: every listed name with its released people and events. */
async function view(noise: boolean): Promise<Map<string, { users: number; events: number }>> {
  const path = `/v1/stats/events?from=${day()}&to=${day()}`
  const headers = { Authorization: `Bearer ${app.read_keys[0]}` }
  const res = noise
    ? await fetch(`${s.url}${path}`, { headers })
    : await createStatsRoutes({ client: s.veil.storage.client, apps: s.veil.apps, noiseKey: null }).request(path, { headers })
  expect(res.status).toBe(200)
  const body = (await res.json()) as Names
  return new Map(body.names.map((n) => [n.name, { users: n.users ?? 0, events: n.events ?? 0 }]))
}

interface Outcome {
  /** Share of cells where the guess "she is there" is right. */
  gate: number
  crowd: number
  /** Share of her cells where her count, as the released events less the fakes', is within 25 %. */
  value: number
}

async function attack(noise: boolean): Promise<Outcome> {
  const seen = await view(noise)
  const share = (names: string[], guess: (name: string) => boolean) => names.filter((n) => guess(n) === present.get(n)).length / names.length
  // k-1 fakes: a cell is shown only with her in it, so "shown" is the guess.
  const gate = share(GATE, (n) => seen.has(n))
  // 10 k fakes: the cell is always shown; one person more than the fakes is the guess.
  const crowd = share(CROWD, (n) => (seen.get(n)?.users ?? 0) >= MANY + 1)
  const hers = CROWD.filter((n) => present.get(n))
  const value = hers.filter((n) => Math.abs((seen.get(n)?.events ?? 0) - FAKE_EVENTS * MANY - HER_EVENTS) <= HER_EVENTS / 4).length / hers.length
  return { gate, crowd, value }
}

describe('a real person among fakes', () => {
  it('sent what the attack needs: her cells and the fakes are all stored', async () => {
    const rows = await s.query<{ n: number }>("SELECT toUInt32(count()) AS n FROM events WHERE app_id = {app:String}", { app: app.id })
    const hers = [...present].filter(([n, p]) => p && n.startsWith('gate')).length + [...present].filter(([n, p]) => p && n.startsWith('crowd')).length * HER_EVENTS
    expect(Number(rows[0]!.n)).toBe(FEW * CELLS + FAKE_EVENTS * MANY * CELLS + hers)
    expect(hers).toBeGreaterThan(CELLS / 2)
  })

  it('with the noise off, the attack recovers her presence and her count in every cell', async () => {
    const exact = await attack(false)
    console.log(`sybil attack without noise: ${JSON.stringify(exact)}`)
    expect(exact).toEqual({ gate: 1, crowd: 1, value: 1 })
  })

  it('with the noise on, her presence is guessed no better than 3:1 and her count not within 25 % in most cells', async () => {
    const o = await attack(true)
    console.log(`sybil attack with noise: ${JSON.stringify(o)}`)
    // 3:1 odds: right in at most 75 % of the cells (the best single guess is the base rate with
    // k-1 fakes, plus the gate's delta of 0.4 %, and about 62 % with 10 k, epsilon 0.5 on people).
    expect(o.gate).toBeLessThanOrEqual(0.75)
    expect(o.crowd).toBeLessThanOrEqual(0.75)
    // Within +-25 % of 2 events is the exact count: about 12 % of draws of the events noise (scale 4).
    expect(o.value).toBeLessThanOrEqual(0.4)
    // The crowd's cells stay useful (issue 26 (b)): 50 or 51 people and their 100 to 102 events
    // shown within +-10 % in nine cells of ten (expected about 94 % and 93 %).
    const seen = await view(true)
    const people = (n: string) => MANY + (present.get(n) ? 1 : 0)
    const events = (n: string) => FAKE_EVENTS * MANY + (present.get(n) ? HER_EVENTS : 0)
    const nearPeople = CROWD.filter((n) => Math.abs((seen.get(n)?.users ?? 0) - people(n)) <= people(n) / 10).length
    const nearEvents = CROWD.filter((n) => Math.abs((seen.get(n)?.events ?? 0) - events(n)) <= events(n) / 10).length
    console.log(`crowd cells within 10 %: people ${nearPeople / CELLS}, events ${nearEvents / CELLS}`)
    // The sample of 200 cells has a standard deviation of about 0.018: the bounds are four of
    // them below the expected shares (0.94 and 0.93, bench/studies/noise-utility.ts), so a run
    // fails for a wrong scale, not for a rare draw (one run in six read 0.865 for the events).
    expect(nearPeople / CELLS).toBeGreaterThanOrEqual(0.87)
    expect(nearEvents / CELLS).toBeGreaterThanOrEqual(0.86)
  })
})
