// People without a login (issue 11, 26), stored for real: an event without user_id counts under the
// salted hash of its browser's device (`visitor`) or of its session (`installation`, on-prem SDK);
// a user_id stays `user`; the raw ids are nowhere in the table. The unit: docs/reports.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer({ listen: false })
})
afterAll(() => s?.stop())

interface Stored {
  user_hash: string
  session_hash: string
  user_kind: string
}
const rowOf = async (id: string) =>
  (await s.query<Stored>('SELECT user_hash, session_hash, user_kind FROM events WHERE event_id = {id:UUID}', { id }))[0]!

const send = async (body: unknown, headers: Record<string, string> = {}) => {
  const res = await s.veil.app.request('/v1/batch', post(body, headers))
  expect(res.status).toBe(202)
  expect(((await res.json()) as { accepted: number }).accepted).toBeGreaterThan(0)
}

describe('user of record', () => {
  it('counts a browser session without a login as a visitor, by the hash of its device, not of its tab', async () => {
    const a = event({ name: 'page_view', session_id: 'tab-session-5d1e', props: { path: '/pricing' } })
    const b = event({ name: 'page_view', session_id: 'tab-session-6e2f', props: { path: '/docs' } })
    await send(batch(s.writeKey, [a]), { Origin: 'https://shop.example' })
    await send(batch(s.writeKey, [b]), { Origin: 'https://shop.example' })
    const [ra, rb] = [await rowOf(a.id), await rowOf(b.id)]
    expect(ra.user_kind).toBe('visitor')
    expect(ra.user_hash).toMatch(/^[0-9a-f]{16}$/)
    // Two tabs, two sessions, one device: one person (test/http/batch-people.test.ts over a socket).
    expect(ra.session_hash).not.toBe(rb.session_hash)
    expect(rb.user_hash).toBe(ra.user_hash)
  })

  it('counts an on-prem session without a login as an installation', async () => {
    const e = event({ name: 'app_start', session_id: 'c0ffee'.repeat(10) + 'abcd' })
    await send(batch(s.writeKey, [e], { context: { deployment: 'onprem', os: { name: 'Linux', version: '6.1' } } }), { 'User-Agent': 'node' })
    const r = await rowOf(e.id)
    expect([r.user_kind, r.user_hash === r.session_hash, r.user_hash.length]).toEqual(['installation', true, 16])
  })

  it('keeps a logged-in user as a user, with a user hash apart from the session hash', async () => {
    const e = event({ user_id: 'u-48213', session_id: 'tab-session-77aa' })
    await send(batch(s.writeKey, [e]))
    const r = await rowOf(e.id)
    expect(r.user_kind).toBe('user')
    expect(r.user_hash).not.toBe(r.session_hash)
  })

  it('has no user of record for an event with no id at all', async () => {
    const e = event()
    await send(batch(s.writeKey, [e]))
    expect(await rowOf(e.id)).toEqual({ user_hash: '', session_hash: '', user_kind: '' })
  })

  it('stores no raw session or user id anywhere in the row', async () => {
    const e = event({ session_id: 'raw-session-needle-91', user_id: 'raw-user-needle-92' })
    const v = event({ session_id: 'raw-session-needle-93' })
    await send(batch(s.writeKey, [e, v]))
    const rows = await s.query<Record<string, unknown>>('SELECT * FROM events WHERE event_id IN ({a:UUID}, {b:UUID})', { a: e.id, b: v.id })
    expect(rows).toHaveLength(2)
    expect(JSON.stringify(rows)).not.toMatch(/needle/)
  })
})
