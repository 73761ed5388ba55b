// Node's built-in fetch (undici) as a server-side sender, over a real socket: it sends
// `sec-fetch-mode: cors` and the User-Agent `node`, which isbot lists, and no Sec-Fetch-Site or
// Origin. README says server senders are stored; a headless browser still is not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../support/server.ts'
import { batch, event } from '../support/batch.ts'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer()
})
afterAll(() => s?.stop())

interface Answer {
  accepted: number
  dropped: { reason: string }[]
}
const stored = async (ids: string[]) =>
  Number((await s.query<{ n: string }>('SELECT count() AS n FROM events WHERE toString(event_id) IN {ids:Array(String)}', { ids }))[0]!.n)

/** A POST with Node's own fetch and only the headers given: undici adds its defaults. */
async function send(headers: Record<string, string>) {
  const events = [event(), event()]
  const res = await fetch(`${s.url}/v1/batch`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(batch(s.writeKey, events)) })
  expect(res.status).toBe(202)
  return { events, body: (await res.json()) as Answer }
}

describe("Node's built-in fetch", () => {
  it('stores the events of a plain fetch() from Node (sec-fetch-mode: cors, User-Agent node)', async () => {
    const { events, body } = await send({})
    expect(body).toMatchObject({ accepted: 2, dropped: [] })
    expect(await stored(events.map((e) => e.id))).toBe(2)
  })

  it('still drops a headless browser, whose User-Agent and Fetch metadata are a browser\'s', async () => {
    const HEADLESS = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36'
    const { events, body } = await send({ 'User-Agent': HEADLESS, 'Sec-Fetch-Site': 'cross-site', Origin: 'https://shop.example' })
    expect(body.accepted).toBe(0)
    expect(body.dropped.map((d) => d.reason)).toEqual(['bot', 'bot'])
    expect(await stored(events.map((e) => e.id))).toBe(0)
  })

  it('still drops a library User-Agent sent from a page (Sec-Fetch-Site, as browsers send on every request)', async () => {
    const { body } = await send({ 'User-Agent': 'python-requests/2.32.3', 'Sec-Fetch-Site': 'cross-site' })
    expect(body.dropped.map((d) => d.reason)).toEqual(['bot', 'bot'])
  })
})
