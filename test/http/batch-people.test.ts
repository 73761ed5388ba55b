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

/**
 * People among the given events, as the reports count them: the distinct user hashes of their
 * rows, and of the aggregate of their event name (stored as a token until k people sent it).
 */
async function peopleOf(ids: string[]): Promise<{ agg: number; rows: number }> {
  const [rows] = await s.query<{ n: string; name: string }>("SELECT uniqExact(user_hash) AS n, any(name) AS name FROM events WHERE event_id IN {ids:Array(UUID)} AND user_hash != ''", { ids })
  const [agg] = await s.query<{ n: string }>('SELECT uniqCombinedMerge(12)(users) AS n FROM agg_events_daily WHERE app_id = {app:String} AND name = {name:String}', { app: s.appId, name: rows!.name })
  return { agg: Number(agg!.n), rows: Number(rows!.n) }
}

/** An event name of its own per test, so the counts of one test are not the others'. */
let names = 0
const nameOf = () => `people_${'abcdefghij'[names++]}`

/** Events of one name, remembering their ids. */
function recorder() {
  const ids: string[] = []
  const name = nameOf()
  return {
    ids,
    name,
    event: (fields: Record<string, unknown>) => {
      const e = event({ name, ...fields })
      ids.push(e.id)
      return e
    },
  }
}

describe('k counts people', () => {
  it('counts one person with five tabs, each its own session and request, once', async () => {
    const r = recorder()
    for (let tab = 0; tab < 5; tab++) {
      await send([r.event({ session_id: `tab-${randomUUID()}` }), r.event({ session_id: `tab-${randomUUID()}` })], '203.0.113.7')
    }
    expect(await peopleOf(r.ids)).toEqual({ agg: 1, rows: 1 })
    const kinds = await s.query<{ user_kind: string }>('SELECT DISTINCT user_kind FROM events WHERE event_id IN {ids:Array(UUID)}', { ids: r.ids })
    expect(kinds).toEqual([{ user_kind: 'visitor' }])
  })

  it('counts five browsers on five networks as five people', async () => {
    const r = recorder()
    for (let i = 0; i < 5; i++) await send([r.event({ session_id: `tab-${randomUUID()}` })], `198.51.${100 + i}.20`)
    expect(await peopleOf(r.ids)).toEqual({ agg: 5, rows: 5 })
  })

  it('counts fifty logged-in people behind one office address and one browser build as fifty', async () => {
    const r = recorder()
    // Concurrent, as an office's browsers send: the group commit writes them together.
    await Promise.all(Array.from({ length: 50 }, (_, i) =>
      send([r.event({ user_id: `staff-${i}@office.example`, session_id: `tab-${randomUUID()}` })], '192.0.2.44')))
    expect(await peopleOf(r.ids)).toEqual({ agg: 50, rows: 50 })
  })

  it('counts a visitor who logs in within the period as one person, before, during and after the login', async () => {
    const r = recorder()
    const address = '203.0.113.99'
    await send([r.event({ session_id: 'landing-tab' }), r.event({ session_id: 'landing-tab' })], address)
    await send([r.event({ user_id: `buyer-${randomUUID()}@example.com`, session_id: 'login-tab' })], address)
    await send([r.event({ session_id: 'second-tab' })], address)
    expect(await peopleOf(r.ids)).toEqual({ agg: 1, rows: 1 })
    const kinds = await s.query<{ user_kind: string }>('SELECT DISTINCT user_kind FROM events WHERE event_id IN {ids:Array(UUID)} ORDER BY user_kind', { ids: r.ids })
    expect(kinds.map((k) => k.user_kind)).toEqual(['user', 'visitor'])
  })

  it('stores neither the address nor the User-Agent, only the keyed digest of the device', async () => {
    const r = recorder()
    await send([r.event({ session_id: 'needle-tab' })], '203.0.113.250')
    const rows = await s.query<Record<string, unknown>>('SELECT * FROM events WHERE event_id IN {ids:Array(UUID)}', { ids: r.ids })
    expect(rows).toHaveLength(1)
    const json = JSON.stringify(rows)
    expect(json).not.toMatch(/203\.0\.113|AppleWebKit|needle-tab/)
    expect(rows[0]!.user_hash).toMatch(/^[0-9a-f]{16}$/)
  })
})
