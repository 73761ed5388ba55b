// Issue 25, the items beside the k rule: numbers keep no identifying digits, event ids made of
// phone digits are refused, and names and keys the plan does not declare are kept nowhere
// readable (quarantine, answers, metrics). Values generated in several locales, sent through
// /v1/batch, PostHog and Segment; the scans of harness.ts look for them in every table, file,
// log line and answer. The control is a declared event, stored and shown in the plan.
import { expect } from 'vitest'
import { randomUUID } from 'node:crypto'
import { fakerDE, fakerEN_US, fakerFR, fakerPL, type Faker } from '@faker-js/faker'
import { batch, event } from '../support/batch.ts'
import { CHROME_UA, definePlantedKind, usersOf } from './harness.ts'

const CONTROL = 'zyqvox_upload_done'
const FAKERS: Faker[] = [fakerDE, fakerEN_US, fakerFR, fakerPL]
FAKERS.forEach((f, i) => f.seed(2525_25 + i))

const word = (s: string) => s.normalize('NFKD').toLowerCase().replace(/[^a-z]+/g, '_').replace(/^_+|_+$/g, '')
/** Personal values per locale: a person, phone digits of 10+ and a card number. */
const people = FAKERS.map((f) => {
  const first = f.person.firstName()
  const last = f.person.lastName()
  const phone = f.helpers.replaceSymbols('49#########')
  return { first, last, person: `${word(first)}_${word(last)}`, phone, card: f.finance.creditCardNumber('mastercard').replace(/\D/g, '') }
})

/** An id of the UUID layout made of phone digits, as a careless sender writes one. */
function phoneId(digits: string): string {
  const d = (digits + '0'.repeat(32)).slice(0, 32).split('')
  d[12] = '4'
  d[16] = '8'
  const h = d.join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

definePlantedKind('issue 25: numbers, event ids, names and keys', {
  plan: {
    mode: 'strict',
    events: { [CONTROL]: { props: { size_bytes: { kind: 'integer', min: 0, max: 1e17 }, took_ms: { kind: 'number', min: 0, max: 3_600_000 } } } },
  },
  async plant({ post, key, server }) {
    const users = usersOf('kind25-user', 3)
    const events = people.flatMap((p, i) => [
      // Numbers: in bounds they keep two digits, out of bounds they are dropped.
      event({ name: CONTROL, user_id: users[i % 3], props: { size_bytes: Number(p.phone), took_ms: Number(p.card) } }),
      event({ name: CONTROL, user_id: users[(i + 1) % 3], props: { size_bytes: Number(p.card.slice(0, 15)), took_ms: 1843 } }),
      // An id made of phone digits.
      event({ id: phoneId(p.phone), name: CONTROL, user_id: users[0] }),
      // An undeclared event named after a person, and undeclared keys that are one.
      event({ name: `viewed_invoice_of_${p.person}`.slice(0, 64), user_id: users[1] }),
      event({ name: CONTROL, user_id: users[2], props: { [p.person.slice(0, 40)]: true } }),
      // A wire check that names the undeclared key in its reason (answer and quarantine).
      event({ name: CONTROL, user_id: users[2], props: { [`note_${p.person}`.slice(0, 40)]: 'x'.repeat(501) } }),
    ])
    const res = await post(batch(key, events))
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(people.length * 3)
    expect((res.body.rejected as { reason: string }[]).map((r) => r.reason)).toContain('props.[undeclared] is longer than 500 characters')
    expect((res.body.rejected as unknown[]).length).toBe(people.length * 3)
    expect(res.body.dropped_props).toEqual({ took_ms: people.length, '[undeclared]': people.length })

    // The same names through the PostHog and Segment dialects. PostHog's are sent by the person
    // who sent them through /v1/batch: a refused name is readable once k people of a period sent
    // it (docs/reports.md "Rejections"), and these stay under k (this app's k is 2).
    const headers = { 'Content-Type': 'application/json', 'User-Agent': CHROME_UA, 'X-Forwarded-For': '81.2.69.160, 10.9.8.7' }
    const posthog = await fetch(`${server.url}/posthog/batch`, {
      method: 'POST', headers,
      body: JSON.stringify({ api_key: key, batch: people.map((p, i) => ({ event: `Viewed invoice of ${p.first} ${p.last}`, uuid: randomUUID(), properties: { distinct_id: users[1], $lib: 'web', size_bytes: Number(p.phone) } })) }),
    })
    expect(posthog.status).toBe(200)
    const segment = await fetch(`${server.url}/segment/v1/batch`, {
      method: 'POST', headers,
      body: JSON.stringify({ writeKey: key, batch: people.map((p, i) => ({ type: 'track', event: `Opened file of ${p.first} ${p.last}`, userId: users[i % 3], messageId: randomUUID(), properties: { [p.person]: 1 } })) }),
    })
    expect(segment.status).toBe(200)
  },
  planted: Object.fromEntries(people.flatMap((p, i) => [
    [`person ${i}`, p.person.slice(0, 40)],
    [`first and last ${i}`, `${p.first} ${p.last}`],
    [`phone ${i}`, p.phone.slice(0, 10)],
    [`card ${i}`, p.card.slice(0, 10)],
  ])),
  control: CONTROL,
  apiControl: CONTROL,
  async stored(server) {
    // Every stored size has at most two significant digits; the control's 1843 ms was declared
    // on a bound prop and is stored as 1800.
    const rows = await server.query<{ size: number; took: number }>(`SELECT metrics['size_bytes'] AS size, metrics['took_ms'] AS took FROM events WHERE name = '${CONTROL}'`)
    expect(rows.length).toBe(people.length * 3)
    for (const { size } of rows) expect(String(size).replace(/0+$/, '').length, String(size)).toBeLessThanOrEqual(2)
    expect(rows.filter((r) => r.took === 1800)).toHaveLength(people.length)
    const quarantine = await server.query<{ name: string; event: string }>('SELECT name, event FROM quarantine')
    expect(quarantine.length).toBeGreaterThanOrEqual(people.length * 3)
    expect(quarantine.filter((q) => q.name.startsWith('[undeclared name:'))).not.toHaveLength(0)
  },
})
