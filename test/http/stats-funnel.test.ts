// GET /v1/stats/funnel (issue 27, docs/reports.md "Funnels") through real ingestion: people who
// did declared events in order within a salt period, conversion and median time per step, and
// the k rule per period and step (a step under k, or one that lost fewer than k people, is hidden
// with the steps after it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { CHROME_UA, batch, event } from '../support/batch.ts'

const K = 5
const MINUTE = 60_000
const app = testApp('funnels', {
  k_anonymity: K,
  plan: {
    mode: 'strict',
    events: {
      signup: { props: { plan: { kind: 'enum', values: ['free', 'pro'] } } },
      invite: { props: {} },
      purchase: { props: {} },
      refund: { props: {} },
      doc_open: { props: {} },
      doc_save: { props: {} },
    },
  },
})

let s: TestServer
beforeAll(async () => {
  // Exact figures (REPORT_NOISE=off): this test checks which steps the rules show; with a noise
  // key each shown step is released as a noisy atom (test/e2e/dashboard-explore.test.ts).
  s = await startTestServer({ apps: [app], env: { REPORT_NOISE: 'off' } })
  // Within the last few minutes, so every step is in today's salt period.
  const t0 = Date.now() - 5 * MINUTE
  const person = (i: number) => `person-${letters(i)}@example.com`
  const events = [
    // 15 sign up; the first 10 invite a minute later; the first 5 of those buy a minute after that.
    ...Array.from({ length: 15 }, (_, i) => event({ name: 'signup', user_id: person(i), ts: t0, props: { plan: i < 13 ? 'pro' : 'free' } })),
    ...Array.from({ length: 10 }, (_, i) => event({ name: 'invite', user_id: person(i), ts: t0 + MINUTE })),
    ...Array.from({ length: 5 }, (_, i) => event({ name: 'purchase', user_id: person(i), ts: t0 + 2 * MINUTE })),
    // 3 invite before they sign up: step 1 only.
    ...Array.from({ length: 3 }, (_, i) => event({ name: 'invite', user_id: person(20 + i), ts: t0 - MINUTE })),
    ...Array.from({ length: 3 }, (_, i) => event({ name: 'signup', user_id: person(20 + i), ts: t0, props: { plan: 'pro' } })),
    // 4 ask for a refund: a step under k.
    ...Array.from({ length: 4 }, (_, i) => event({ name: 'refund', user_id: person(i), ts: t0 + 3 * MINUTE })),
    // 7 open a document, 5 of them save it: 5 is k, but 2 people lost between the steps.
    ...Array.from({ length: 7 }, (_, i) => event({ name: 'doc_open', user_id: person(40 + i), ts: t0 })),
    ...Array.from({ length: 5 }, (_, i) => event({ name: 'doc_save', user_id: person(40 + i), ts: t0 + MINUTE })),
  ]
  const res = await s.veil.app.request('/v1/batch', {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', 'User-Agent': CHROME_UA },
    body: JSON.stringify(batch(app.write_keys[0]!, events)),
  })
  expect(res.status, await res.text()).toBe(202)
  await s.drained()
})
afterAll(() => s?.stop())

const letters = (i: number) => String.fromCharCode(97 + (i % 26)) + String.fromCharCode(97 + Math.floor(i / 26))

interface Step {
  event: string
  people: number | null
  suppressed: boolean
  conversion: number | null
  from_previous: number | null
  median_ms_from_previous: number | null
}

async function funnel(query: string): Promise<{ status: number; body: { steps: Step[]; error?: string } }> {
  const today = new Date().toISOString().slice(0, 10)
  const res = await s.veil.app.request(`/v1/stats/funnel?from=${today}&to=${today}&${query}`, { headers: { Authorization: `Bearer ${app.read_keys[0]}` } })
  return { status: res.status, body: (await res.json()) as { steps: Step[]; error?: string } }
}

describe('funnel', () => {
  it('counts the people who did each step after the one before, with conversion and median time', async () => {
    const r = await funnel('step1=signup&step2=invite&step3=purchase')
    expect(r.status, JSON.stringify(r.body)).toBe(200)
    expect(r.body.steps.map((st) => [st.event, st.people, st.conversion])).toEqual([
      ['signup', 18, 1],
      ['invite', 10, 0.5556],
      ['purchase', 5, 0.2778],
    ])
    expect(r.body.steps.map((st) => st.median_ms_from_previous)).toEqual([null, MINUTE, MINUTE])
    expect(r.body.steps[2]!.from_previous).toBe(0.5)
  })

  it('hides a step under k and the steps after it', async () => {
    const r = await funnel('step1=signup&step2=refund&step3=purchase')
    expect(r.body.steps.map((st) => [st.people, st.suppressed])).toEqual([[18, false], [null, true], [null, true]])
  })

  it('hides a step that lost fewer than k people to the one before, even with k people', async () => {
    const r = await funnel('step1=doc_open&step2=doc_save')
    expect(r.body.steps.map((st) => [st.people, st.suppressed])).toEqual([[7, false], [null, true]])
  })

  it('hides a filtered step whose people outside the filter are fewer than k', async () => {
    // 16 pro and 2 free people signed up: "signup" minus "signup with plan=pro" would be the 2.
    const pro = await funnel('step1=signup&filter1=props.plan=pro&step2=invite')
    expect(pro.body.steps.map((st) => st.suppressed)).toEqual([true, true])
    const both = await funnel('step1=signup&filter1=props.plan=pro,free&step2=invite')
    expect(both.body.steps.map((st) => st.suppressed)).toEqual([true, true])
  })

  it('answers 400 for an undeclared step, a single step or a gap', async () => {
    const cases: [string, RegExp][] = [
      ['step1=signup&step2=checkout', /step2: "checkout" is not declared/],
      ['step1=signup', /2 to 5 steps/],
      ['step1=signup&step3=invite', /without gaps/],
      ['step1=signup&filter1=props.colour=red&step2=invite', /declares no prop "colour"/],
    ]
    for (const [query, message] of cases) {
      const r = await funnel(query)
      expect(r.status, query).toBe(400)
      expect(r.body.error, query).toMatch(message)
    }
  })
})
