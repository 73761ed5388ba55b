// Feedback as what k people said (PRIVACY.md 17): a word k people of the period used is shown as
// a theme, a name one person wrote is not; a text is kept verbatim only where the plan declares
// it, in its own table with a 30-day TTL, marked outside the anonymous data set in the plan and
// the API, and deleted by search term (veil verbatim delete).
import { allFakers } from '@faker-js/faker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { deleteVerbatim } from '../../src/cli/verbatim-command.ts'
import { planSchema } from '../../src/plan/plan-schema.ts'

const f = allFakers.pl
f.seed(1917)
const first = f.person.firstName()
const last = f.person.lastName()
const K = 3
const app = testApp('verbatim', { k_anonymity: K, plan: { mode: 'strict', events: { support_ticket: { props: { body: { kind: 'text', verbatim: true }, area: { kind: 'enum', values: ['billing'] } } } } } })
let s: TestServer
const read = async (path: string) => (await s.veil.app.request(path, { headers: { Authorization: `Bearer ${app.read_keys[0]}` } })).json() as Promise<Record<string, unknown>>

beforeAll(async () => {
  s = await startTestServer({ apps: [app], listen: false, env: { VALUES_PUBLISH_MS: '0', REPORT_NOISE: 'off' } })
  const events = [
    ...['a', 'b', 'c', 'd'].map((u) => event({ name: 'feedback', user_id: `fb-${u}`, props: { rating: 3, text: 'The export is slow' } })),
    event({ name: 'feedback', user_id: 'fb-e', props: { rating: 3, text: `Ask ${first} ${last} about the export` } }),
    // Two more people with words of their own: the hidden rest of the slice holds k people, so
    // no shown theme is hidden with it (secondary suppression, docs/reports.md).
    ...['f', 'g'].map((u) => event({ name: 'feedback', user_id: `fb-${u}`, props: { rating: 3, text: `Thanks ${f.person.firstName()} ${f.person.lastName()}` } })),
    event({ name: 'support_ticket', user_id: 'fb-e', props: { area: 'billing', body: `Invoice wrong, says ${first} ${last}, call +48 601 234 567` } }),
  ]
  const res = await s.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, events)))
  expect(res.status).toBe(202)
  await s.drained()
  await s.veil.values.flush()
  await s.veil.values.publisher.publishNow()
}, 60_000)
afterAll(() => s?.stop())

describe('feedback as themes', () => {
  it('shows the words and phrases k people used, and no word of one person', async () => {
    const r = (await read('/v1/stats/feedback')) as { themes: { term: string; users: number }[] }
    expect(r.themes.map((t) => t.term).sort()).toEqual(['export', 'slow'])
    expect(JSON.stringify(r).toLowerCase()).not.toContain(last.toLowerCase())
  })

  it('stores feedback as its terms, never the sentence', async () => {
    const rows = await s.query<{ t: string }>("SELECT props['text'] AS t FROM events WHERE name = 'feedback'")
    for (const { t } of rows) expect(t.toLowerCase()).not.toMatch(/the export is slow|ask/)
    expect(JSON.stringify(rows).toLowerCase()).not.toContain(last.toLowerCase())
  })
})

describe('verbatim texts', () => {
  it('keep a declared prop\'s scrubbed text in their own table with a 30-day TTL, and nothing undeclared', async () => {
    const rows = await s.query<{ name: string; key: string; text: string }>('SELECT name, key, text FROM verbatim_texts')
    expect(rows).toEqual([{ name: 'support_ticket', key: 'body', text: `Invoice wrong, says ${first} ${last}, call [phone]` }])
    const [t] = await s.query<{ e: string }>("SELECT engine_full AS e FROM system.tables WHERE database = currentDatabase() AND name = 'verbatim_texts'")
    expect(t!.e).toMatch(/TTL toDateTime\(received_at\) \+ toIntervalDay\(30\)/)
  })

  it('are marked outside the anonymous data set in the plan and in the API', async () => {
    const plan = (await read('/v1/plan')) as { outside_anonymous_data?: { props: string[] } }
    expect(plan.outside_anonymous_data?.props).toEqual(['support_ticket.body'])
    const v = (await read('/v1/stats/verbatim')) as { outside_anonymous_data: boolean; note: string; texts: { text: string }[] }
    expect(v.outside_anonymous_data).toBe(true)
    expect(v.note).toMatch(/Outside the anonymous data set/)
    expect(v.texts.map((x) => x.text)).toEqual([`Invoice wrong, says ${first} ${last}, call [phone]`])
  })

  it('are deleted by search term, case-insensitive, on a data subject\'s request', async () => {
    expect(await deleteVerbatim(s.veil.storage.client, 'nobody-matches')).toBe(0)
    expect(await deleteVerbatim(s.veil.storage.client, last.toUpperCase())).toBe(1)
    expect(await s.query('SELECT * FROM verbatim_texts')).toEqual([])
  })

  it('can be declared for text props only', () => {
    const r = planSchema.safeParse({ events: { x_done: { props: { what: { kind: 'token', verbatim: true } } } } })
    expect(r.success).toBe(false)
    expect(JSON.stringify(r.error?.issues)).toContain('verbatim is for text props only')
  })
})
