// The unit of the people counts (docs/reports.md "The unit: people", issue 26 and 27), through real
// ingestion over a socket: one person's tabs count once, fifty logged-in people behind one address
// count fifty, a visitor who logs in counts once. Addresses come from X-Forwarded-For of a trusted proxy.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../support/server.ts'
import { CHROME_UA, batch, event } from '../support/batch.ts'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer({ env: { TRUST_PROXY: '127.0.0.1/32' } })
})
afterAll(() => s?.stop())

/** One browser request: its own address (behind the trusted proxy), User-Agent and Fetch metadata. */
async function send(events: unknown[], address: string, userAgent = CHROME_UA): Promise<void> {
  const res = await fetch(`${s.url}/v1/batch`, {
    method: 'POST',
    headers: {
      'Content-Type': 'text/plain', 'User-Agent': userAgent, 'X-Forwarded-For': address,
      Origin: 'https://shop.example', 'Sec-Fetch-Mode': 'cors',
    },
    body: JSON.stringify(batch(s.writeKey, events)),
  })
  const text = await res.text()
  expect(res.status, text).toBe(202)
  expect((JSON.parse(text) as { accepted: number }).accepted, text).toBe(events.length)
}

/** People of the event name, as the reports count them: the aggregate's distinct user hashes, and the rows'. */
async function peopleOf(name: string): Promise<{ agg: number; rows: number }> {
  const [agg] = await s.query<{ n: string }>('SELECT uniqCombinedMerge(12)(users) AS n FROM agg_events_daily WHERE app_id = {app:String} AND name = {name:String}', { app: s.appId, name })
  const [rows] = await s.query<{ n: string }>("SELECT uniqExact(user_hash) AS n FROM events WHERE app_id = {app:String} AND name = {name:String} AND user_hash != ''", { app: s.appId, name })
  return { agg: Number(agg!.n), rows: Number(rows!.n) }
}

/** An event name of its own per test, so the counts of one test are not the others'. */
let names = 0
const nameOf = () => `people_${'abcdefghij'[names++]}`

describe('k counts people', () => {
  it('counts one person with five tabs, each its own session and request, once', async () => {
    const name = nameOf()
    for (let tab = 0; tab < 5; tab++) {
      await send([event({ name, session_id: `tab-${randomUUID()}` }), event({ name, session_id: `tab-${randomUUID()}` })], '203.0.113.7')
    }
    expect(await peopleOf(name)).toEqual({ agg: 1, rows: 1 })
    const kinds = await s.query<{ user_kind: string }>('SELECT DISTINCT user_kind FROM events WHERE name = {name:String}', { name })
    expect(kinds).toEqual([{ user_kind: 'visitor' }])
  })

  it('counts five browsers on five networks as five people', async () => {
    const name = nameOf()
    for (let i = 0; i < 5; i++) await send([event({ name, session_id: `tab-${randomUUID()}` })], `198.51.${100 + i}.20`)
    expect(await peopleOf(name)).toEqual({ agg: 5, rows: 5 })
  })

  it('counts fifty logged-in people behind one office address and one browser build as fifty', async () => {
    const name = nameOf()
    // Concurrent, as an office's browsers send: the group commit writes them together.
    await Promise.all(Array.from({ length: 50 }, (_, i) =>
      send([event({ name, user_id: `staff-${i}@office.example`, session_id: `tab-${randomUUID()}` })], '192.0.2.44')))
    expect(await peopleOf(name)).toEqual({ agg: 50, rows: 50 })
  })

  it('counts a visitor who logs in within the period as one person, before, during and after the login', async () => {
    const name = nameOf()
    const address = '203.0.113.99'
    await send([event({ name, session_id: 'landing-tab' }), event({ name, session_id: 'landing-tab' })], address)
    await send([event({ name, user_id: `buyer-${randomUUID()}@example.com`, session_id: 'login-tab' })], address)
    await send([event({ name, session_id: 'second-tab' })], address)
    expect(await peopleOf(name)).toEqual({ agg: 1, rows: 1 })
    const kinds = await s.query<{ user_kind: string }>('SELECT DISTINCT user_kind FROM events WHERE name = {name:String} ORDER BY user_kind', { name })
    expect(kinds.map((k) => k.user_kind)).toEqual(['user', 'visitor'])
  })

  it('stores neither the address nor the User-Agent, only the keyed digest of the device', async () => {
    const name = nameOf()
    await send([event({ name, session_id: 'needle-tab' })], '203.0.113.250')
    const rows = await s.query<Record<string, unknown>>('SELECT * FROM events WHERE name = {name:String}', { name })
    expect(rows).toHaveLength(1)
    const json = JSON.stringify(rows)
    expect(json).not.toMatch(/203\.0\.113|AppleWebKit|needle-tab/)
    expect(rows[0]!.user_hash).toMatch(/^[0-9a-f]{16}$/)
  })
})
