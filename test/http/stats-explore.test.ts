// GET /v1/stats/explore (issue 27, docs/reports.md "Explore") through real ingestion: a declared
// event by a declared prop, filtered, under the fixed reports' cell rules, and no difference of
// two answers that singles out fewer than k people.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { CHROME_UA, batch, event } from '../support/batch.ts'

const K = 5
const pm = testApp('pm', {
  k_anonymity: K,
  plan: {
    mode: 'strict',
    events: {
      signup: {
        props: {
          plan: { kind: 'enum', values: ['free', 'pro', 'team'] },
          trial: { kind: 'boolean' },
          seats: { kind: 'integer', min: 0, max: 100 },
          source: { kind: 'token' },
          region: { kind: 'enum', values: ['north', 'south'], dimension: false },
        },
      },
    },
  },
})

// One signup per person, so events count people. pro: 10 on trial and 2 not; free: 8 off trial
// and 5 on; team: 6, all on trial. The 2 pro people off trial are the cell under k that a naive
// filter would give away: "pro" minus "pro on trial", or "off trial" minus "free off trial"; the
// 5 free people on trial are the smallest part, which the slice's secondary suppression hides.
const GROUPS: { plan: string; trial: boolean; people: number; seats: number }[] = [
  { plan: 'pro', trial: true, people: 10, seats: 12 },
  { plan: 'pro', trial: false, people: 2, seats: 12 },
  { plan: 'free', trial: false, people: 8, seats: 1 },
  { plan: 'free', trial: true, people: 5, seats: 1 },
  { plan: 'team', trial: true, people: 6, seats: 45 },
]

let s: TestServer
beforeAll(async () => {
  // Exact figures (REPORT_NOISE=off): this test checks which cells the rules show and what two
  // answers differ by; with a noise key explore releases noisy atoms like every report
  // (explore-release.ts, test/e2e/dashboard-explore.test.ts runs with noise).
  s = await startTestServer({ apps: [pm], env: { REPORT_NOISE: 'off' } })
  const events = GROUPS.flatMap((g) =>
    Array.from({ length: g.people }, (_, i) => event({ name: 'signup', user_id: `${g.plan}-${g.trial}-${letters(i)}@example.com`, props: { plan: g.plan, trial: g.trial, seats: g.seats } })),
  )
  const res = await s.veil.app.request('/v1/batch', {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', 'User-Agent': CHROME_UA },
    body: JSON.stringify(batch(pm.write_keys[0]!, events)),
  })
  expect(res.status, await res.text()).toBe(202)
  await s.drained()
})
afterAll(() => s?.stop())

const letters = (i: number) => String.fromCharCode(97 + (i % 26)) + String.fromCharCode(97 + Math.floor(i / 26))

interface Fig {
  users: number | null
  events: number | null
  suppressed: boolean
}
interface Answer {
  total: Fig
  points: ({ bucket: string } & Fig)[]
  rows: ({ value: string; label?: string } & Fig)[]
  other: { events: number; cells: number } | null
  previous: { total: Fig; from: string; to: string }
  error?: string
}

async function explore(query: string): Promise<{ status: number; body: Answer }> {
  const today = new Date().toISOString().slice(0, 10)
  const res = await s.veil.app.request(`/v1/stats/explore?from=${today}&to=${today}&${query}`, { headers: { Authorization: `Bearer ${pm.read_keys[0]}` } })
  return { status: res.status, body: (await res.json()) as Answer }
}

const ok = async (query: string) => {
  const r = await explore(query)
  expect(r.status, JSON.stringify(r.body)).toBe(200)
  return r.body
}
const rowOf = (a: Answer, value: string) => a.rows.find((r) => r.value === value)?.events ?? 0
/** A difference of two released numbers that would single out fewer than k people. */
const isSmall = (d: number) => d > 0 && d < K

describe('explore', () => {
  it('counts a declared event over time and by a declared enum prop, with the rules of the fixed reports', async () => {
    const all = await ok('event=signup')
    expect(all.total).toEqual({ users: 31, events: 31, suppressed: false })
    expect(all.points.map((p) => p.events)).toEqual([31])
    expect(all.previous.total).toEqual({ users: 0, events: 0, suppressed: false })
    const byPlan = await ok('event=signup&by=props.plan')
    expect(byPlan.rows.map((r) => [r.value, r.events])).toEqual([['free', 13], ['pro', 12], ['team', 6]])
    // A breakdown and its total never differ by a hidden part: total = rows + other, exactly.
    const byTrial = await ok('event=signup&by=props.trial')
    expect(byTrial.rows.map((r) => [r.value, r.events])).toEqual([['true', 21], ['false', 10]])
    expect(byTrial.total.events).toBe(byTrial.rows.reduce((n, r) => n + (r.events ?? 0), 0) + (byTrial.other?.events ?? 0))
  })

  it('answers a closed dimension and the event alone exactly as the breakdown and events reports do', async () => {
    const today = new Date().toISOString().slice(0, 10)
    const read = async (path: string) => (await s.veil.app.request(`${path}&from=${today}&to=${today}`, { headers: { Authorization: `Bearer ${pm.read_keys[0]}` } })).json() as Promise<Record<string, unknown>>
    for (const [dim, by] of [['country', 'country'], ['browser', 'browser'], ['lang', 'language']]) {
      const report = await read(`/v1/stats/breakdown?dimension=${dim}&event=signup`) as { total: Fig; rows: { value: string; users: number; events: number }[] }
      const mine = await ok(`event=signup&by=${by}`)
      expect(mine.total, by).toEqual(report.total)
      expect(mine.rows.map((r) => [r.value, r.users, r.events]), by).toEqual(report.rows.map((r) => [r.value, r.users, r.events]))
    }
    const events = await read('/v1/stats/events?event=signup') as { series: { total: Fig }[] }
    expect((await ok('event=signup')).total).toEqual(events.series[0]!.total)
  })

  it('buckets a number prop by the plan\'s bounds', async () => {
    const bySeats = await ok('event=signup&by=props.seats')
    expect(bySeats.rows.map((r) => [r.label, r.events])).toEqual([['0 to 10', 13], ['10 to 20', 12], ['40 to 50', 6]])
  })

  it('shows a filtered part whose complement holds k people', async () => {
    const team = await ok('event=signup&by=props.trial&filter=props.plan=team')
    expect(team.rows.map((r) => [r.value, r.events])).toEqual([['true', 6]])
    expect(team.total.events).toBe(6)
    const two = await ok('event=signup&filter=props.plan=free,team')
    expect(two.total.events).toBe(19)
  })

  it('never lets two answers differ by fewer than k people: with and without a filter, a breakdown and its total', async () => {
    const unfiltered = await ok('event=signup&by=props.trial')
    for (const plans of ['pro', 'free', 'team', 'free,team', 'pro,free', 'pro,free,team']) {
      const filtered = await ok(`event=signup&by=props.trial&filter=props.plan=${plans}`)
      const filterOnly = await ok(`event=signup&filter=props.plan=${plans}`)
      for (const value of ['true', 'false']) {
        expect(isSmall(rowOf(unfiltered, value) - rowOf(filtered, value)), `trial=${value}, plan in ${plans}`).toBe(false)
      }
      const rowsSum = filtered.rows.reduce((n, r) => n + (r.events ?? 0), 0)
      expect(isSmall((filterOnly.total.events ?? 0) - rowsSum), `plan in ${plans}: total minus its breakdown`).toBe(false)
      expect(isSmall((unfiltered.total.events ?? 0) - (filterOnly.total.events ?? 0)), `plan in ${plans}: all minus filtered`).toBe(false)
    }
    // The two parts a naive filter would have released, each giving away the 2 pro people off trial.
    expect(rowOf(await ok('event=signup&by=props.trial&filter=props.plan=pro'), 'true')).toBe(0)
    expect(rowOf(await ok('event=signup&by=props.trial&filter=props.plan=free'), 'false')).toBe(0)
  })

  it('answers 400 naming an undeclared event, a prop that is not a dimension, or a value the plan does not list', async () => {
    const cases: [string, RegExp][] = [
      ['event=checkout', /"checkout" is not declared in the plan/],
      ['event=signup&by=props.colour', /declares no prop "colour"/],
      ['event=signup&by=props.source', /token: only enum, boolean, number and integer/],
      ['event=signup&by=props.region', /dimension: false/],
      ['event=signup&by=planet', /neither a dimension/],
      ['event=signup&filter=props.plan=gold', /no value "gold"/],
      ['event=signup&filter=nonsense', /not field=value/],
      ['by=country', /event: name the event/],
    ]
    for (const [query, message] of cases) {
      const r = await explore(query)
      expect(r.status, query).toBe(400)
      expect(r.body.error, query).toMatch(message)
    }
  })
})
