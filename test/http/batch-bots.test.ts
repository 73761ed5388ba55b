// Bot filtering through app.request() (issue 11): it applies to browser traffic only. Server-side
// and on-prem senders (curl, Node, Java, a desktop application) are stored whatever their HTTP
// library calls itself; a browser-like request with a bot User-Agent is answered in `dropped`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'

let s: TestServer
const open = testApp('no-bot-filter', { bot_filter: 'off' })

beforeAll(async () => {
  s = await startTestServer({ listen: false, apps: [testApp('bots-app'), open] })
})
afterAll(() => s?.stop())

interface Answer {
  accepted: number
  rejected: unknown[]
  dropped: { index: number; reason: string; message: string }[]
}

const send = async (key: string, headers: Record<string, string>, n = 1) => {
  const events = Array.from({ length: n }, () => event({ name: 'page_view', props: { path: '/home' } }))
  const res = await s.veil.app.request('/v1/batch', post(batch(key, events), headers))
  expect(res.status).toBe(202)
  return { events, body: (await res.json()) as Answer }
}
const stored = async (ids: string[]) =>
  Number((await s.query<{ n: string }>('SELECT count() AS n FROM events WHERE toString(event_id) IN {ids:Array(String)}', { ids }))[0]!.n)

const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'
const HEADLESS = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36'

describe('server-side and on-prem senders', () => {
  it.each([
    ['curl', 'curl/8.5.0'],
    ['python-requests', 'python-requests/2.32.3'],
    ['Go', 'Go-http-client/2.0'],
    ['Java', 'Java/21.0.2'],
    ['okhttp', 'okhttp/4.12.0'],
    ['Node fetch', 'node'],
    ['Apache HttpClient', 'Apache-HttpClient/5.3 (Java/17.0.10)'],
    ['a desktop application', 'PlantControl/7.3.1 (Windows NT 10.0; Win64; x64)'],
  ])('accepts %s and stores its events', async (_, ua) => {
    const { events, body } = await send(s.writeKey, { 'User-Agent': ua }, 2)
    expect(body).toEqual({ accepted: 2, rejected: [], dropped: [] })
    expect(await stored(events.map((e) => e.id))).toBe(2)
  })

  it('accepts a request with no User-Agent at all', async () => {
    const { body } = await send(s.writeKey, { 'User-Agent': '' })
    expect(body.accepted).toBe(1)
  })
})

describe('browser traffic', () => {
  it('drops a bot User-Agent that poses as a browser, lists every event in dropped and counts them', async () => {
    const before = s.veil.metrics.get('dropped_events_total', { app: 'bots-app', reason: 'bot' }) ?? 0
    const { events, body } = await send(s.writeKey, { 'User-Agent': GOOGLEBOT }, 3)
    expect(body.accepted).toBe(0)
    expect(body.rejected).toEqual([])
    expect(body.dropped.map((d) => [d.index, d.reason])).toEqual([[0, 'bot'], [1, 'bot'], [2, 'bot']])
    expect(body.dropped[0]!.message).toMatch(/bot User-Agent/)
    expect(await stored(events.map((e) => e.id))).toBe(0)
    expect(s.veil.metrics.get('dropped_events_total', { app: 'bots-app', reason: 'bot' })).toBe(before + 3)
  })

  it.each([
    ['Sec-Fetch-Mode', { 'Sec-Fetch-Mode': 'cors', 'Sec-Fetch-Site': 'cross-site' }],
    ['Origin', { Origin: 'https://shop.example' }],
  ])('drops a library User-Agent when the request carries %s, as only a browser sends it', async (_, headers) => {
    const { events, body } = await send(s.writeKey, { 'User-Agent': 'python-requests/2.32.3', ...headers })
    expect(body.accepted).toBe(0)
    expect(body.dropped[0]!.reason).toBe('bot')
    expect(await stored(events.map((e) => e.id))).toBe(0)
  })

  it('drops headless Chrome sent from a page', async () => {
    const { body } = await send(s.writeKey, { 'User-Agent': HEADLESS, Origin: 'https://shop.example' })
    expect(body.dropped[0]!.reason).toBe('bot')
  })

  it('keeps an ordinary browser with its Fetch metadata', async () => {
    const { events, body } = await send(s.writeKey, { Origin: 'https://shop.example', 'Sec-Fetch-Mode': 'no-cors' })
    expect(body).toEqual({ accepted: 1, rejected: [], dropped: [] })
    expect(await stored(events.map((e) => e.id))).toBe(1)
  })

  it('keeps a browser bot for an app whose bot_filter is off', async () => {
    const { events, body } = await send(open.write_keys[0]!, { 'User-Agent': GOOGLEBOT, Origin: 'https://shop.example' })
    expect(body.accepted).toBe(1)
    expect(await stored(events.map((e) => e.id))).toBe(1)
  })
})
