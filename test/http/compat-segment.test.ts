// Segment's HTTP tracking API under /segment/v1 through app.request(), on the real embedded
// ClickHouse: long and short paths, Basic auth and writeKey in the body, 32 KB per call and
// 500 KB per batch, the 200 {"success": true} answer, the settings analytics.js loads, and the
// mapping (identify, group, alias and traits dropped).
import { randomUUID } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../support/server.ts'
import { CHROME_UA } from '../support/batch.ts'
import { compatApp, everythingStored, runId, storedRows } from '../support/compat.ts'

let s: TestServer
const app = compatApp('seg-app')
const other = compatApp('seg-other')
const key = app.write_keys[0]!
const basic = (k: string) => `Basic ${Buffer.from(`${k}:`).toString('base64')}`

beforeAll(async () => {
  s = await startTestServer({ listen: false, apps: [app, other], env: { PUBLIC_URL: 'https://veil.example.com' } })
})
afterAll(() => s?.stop())

const send = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  s.veil.app.request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'User-Agent': CHROME_UA, ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body),
  })

const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error

/** A track call as analytics-node sends it. */
function track(run: string, overrides: Record<string, unknown> = {}) {
  return {
    type: 'track',
    event: 'Report Run',
    messageId: `node-next-${randomUUID()}`,
    userId: 'anna@example.com',
    anonymousId: 'anon-1',
    timestamp: new Date().toISOString(),
    properties: { run, 'Report Kind': 'monthly', rows: 12, nested: { a: 1 } },
    context: { library: { name: '@segment/analytics-node', version: '3.1.0' }, locale: 'de-DE', app: { version: '4.2.1' }, os: { name: 'Linux', version: '6.1' } },
    ...overrides,
  }
}

describe('Segment endpoints and answers', () => {
  it('takes a batch with Basic auth and answers 200 {"success": true}', async () => {
    const run = runId()
    const res = await send('/segment/v1/batch', { batch: [track(run), track(run, { event: 'Button Clicked' })], sentAt: new Date().toISOString() }, { Authorization: basic(key) })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ success: true })
    const rows = await storedRows(s, app.id, run)
    expect(rows.map((r) => r.name).sort()).toEqual(['button_clicked', 'report_run'])
    expect(rows[0]!.props.report_kind).toBe('monthly')
    expect(rows[0]!.metrics.rows).toBe(12)
    expect(rows[0]!.props).not.toHaveProperty('nested')
    expect(rows[0]!.os).toBe('Linux') // a server library's context.os, not its User-Agent
    expect(rows[0]!.app_version).toBe('4.2.1')
  })

  it.each([
    ['/segment/v1/track', 'track'],
    ['/segment/v1/t', 'track'],
    ['/segment/v1/page', 'page'],
    ['/segment/v1/p', 'page'],
    ['/segment/v1/screen', 'screen'],
    ['/segment/v1/s', 'screen'],
  ])('takes a single call on %s with the writeKey in the body', async (path, type) => {
    const run = runId()
    const call = { ...track(run), type: undefined, writeKey: key, name: `Orders ${run}`, context: { page: { path: `/orders/${run}/48213`, url: `https://shop.example.com/orders/${run}/48213?email=anna@example.com` } } }
    const res = await send(path, call)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ success: true })
    const rows = await storedRows(s, app.id, run)
    expect(rows).toHaveLength(1)
    if (type === 'track') expect(rows[0]!.name).toBe('report_run')
    if (type === 'page') expect(rows[0]!.props.path).toBe(`/orders/${run}/:id`)
    if (type === 'screen') expect(rows[0]!.props.path).toBe(`/orders_${run}`)
  })

  it.each(['/segment/v1/b', '/segment/v1/batch'])('accepts a gzip batch on %s', async (path) => {
    const run = runId()
    const res = await send(path, gzipSync(JSON.stringify({ writeKey: key, batch: [track(run)] })), { 'Content-Encoding': 'gzip', 'Content-Type': 'text/plain' })
    expect(res.status).toBe(200)
    expect(await storedRows(s, app.id, run)).toHaveLength(1)
  })

  it('accepts metrics on /m and discards them', async () => {
    const res = await send('/segment/v1/m', { series: [{ type: 'Counter', metric: 'analytics_js.invoke', value: 1, tags: {} }] })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ success: true })
  })

  it('answers 404 for a path Segment does not have', async () => {
    const res = await send('/segment/v1/x', track('x'), { Authorization: basic(key) })
    expect(res.status).toBe(404)
  })

  it('drops identify, group and alias calls and every trait, and counts them', async () => {
    const run = runId()
    const before = s.veil.metrics.get('compat_dropped_events_total', { dialect: 'segment', reason: 'trait' })
    const traits = { email: 'anna@example.com', name: 'Anna Beispiel', phone: '+49 170 1234567' }
    const res = await send('/segment/v1/batch', {
      batch: [
        { type: 'identify', userId: 'u1', traits, messageId: randomUUID() },
        { type: 'group', groupId: 'acme', traits: { name: 'ACME GmbH' }, messageId: randomUUID() },
        { type: 'alias', userId: 'u1', previousId: 'anon-1', messageId: randomUUID() },
        track(run, { context: { traits } }),
      ],
    }, { Authorization: basic(key) })
    expect(res.status).toBe(200)
    expect((await storedRows(s, app.id, run)).map((r) => r.name)).toEqual(['report_run'])
    expect(s.veil.metrics.get('compat_dropped_events_total', { dialect: 'segment', reason: 'trait' }) - before).toBe(3)
    const all = await everythingStored(s, app.id)
    for (const secret of ['anna@example.com', 'Anna Beispiel', '1234567', 'ACME', key]) expect(all).not.toContain(secret)
  })

  it('stores a resent call (same messageId) once', async () => {
    const run = runId()
    const call = track(run)
    for (let i = 0; i < 3; i++) expect((await send('/segment/v1/batch', { batch: [call] }, { Authorization: basic(key) })).status).toBe(200)
    expect((await send('/segment/v1/track', { ...call, writeKey: key })).status).toBe(200)
    expect(await storedRows(s, app.id, run)).toHaveLength(1)
  })

  it('maps groupId to the org and anonymousId to the session, both hashed', async () => {
    const run = runId()
    expect((await send('/segment/v1/track', { ...track(run), writeKey: key, context: { groupId: 'customer-77' } })).status).toBe(200)
    const [row] = await storedRows(s, app.id, run)
    expect(row?.org_hash).not.toBe('')
    expect(row?.org_hash).not.toContain('customer')
    expect(row?.session_hash).not.toBe('')
  })
})

describe('Segment auth and limits', () => {
  it('answers 401 without a key, with an unknown one, and with a read key', async () => {
    const none = await send('/segment/v1/track', track('x'))
    expect(none.status).toBe(401)
    expect(await errorOf(none)).toMatch(/Basic auth with the write key/)
    const unknown = await send('/segment/v1/track', track('x'), { Authorization: basic('wk_unknown1234') })
    expect(unknown.status).toBe(401)
    expect(await errorOf(unknown)).toMatch(/unknown write key/)
    const read = await send('/segment/v1/batch', { writeKey: app.read_keys[0], batch: [track('x')] })
    expect(read.status).toBe(401)
    expect(await errorOf(read)).toMatch(/read key/)
  })

  it('answers 413 for a single call over 32 KB', async () => {
    const res = await send('/segment/v1/track', track('x', { writeKey: key, properties: { pad: 'a'.repeat(33 * 1024) } }))
    expect(res.status).toBe(413)
    expect(await errorOf(res)).toMatch(/larger than 32768 bytes/)
  })

  it('drops a call over 32 KB inside a batch and stores its neighbours', async () => {
    const run = runId()
    const res = await send('/segment/v1/batch', { batch: [track(run, { properties: { run, pad: 'a'.repeat(33 * 1024) } }), track(run)] }, { Authorization: basic(key) })
    expect(res.status).toBe(200)
    expect(await storedRows(s, app.id, run)).toHaveLength(1)
    expect(s.veil.metrics.get('compat_dropped_events_total', { dialect: 'segment', reason: 'too_large' })).toBeGreaterThan(0)
  })

  it('answers 413 for a batch over 500 KB, plain or inflating from gzip', async () => {
    const batch = Array.from({ length: 20 }, () => track('x', { properties: { pad: 'a'.repeat(30 * 1024) } }))
    const body = JSON.stringify({ batch })
    expect(body.length).toBeGreaterThan(500 * 1024)
    const plain = await send('/segment/v1/batch', body, { Authorization: basic(key) })
    expect(plain.status).toBe(413)
    expect(await errorOf(plain)).toMatch(/larger than 512000 bytes/)
    const zipped = await send('/segment/v1/batch', gzipSync(body), { Authorization: basic(key), 'Content-Encoding': 'gzip' })
    expect(zipped.status).toBe(413)
    expect(await errorOf(zipped)).toMatch(/inflates to more than 512000 bytes/)
  })

  it('never writes a call carrying another app\'s writeKey into this app', async () => {
    const run = runId()
    const res = await send('/segment/v1/batch', { batch: [track(run), track(run, { writeKey: other.write_keys[0] })] }, { Authorization: basic(key) })
    expect(res.status).toBe(200)
    expect(await storedRows(s, app.id, run)).toHaveLength(1)
    expect(await storedRows(s, other.id, run)).toHaveLength(0)
  })
})

describe('Segment settings and CORS', () => {
  it('serves settings that point analytics.js at PUBLIC_URL, with metrics off and no caching', async () => {
    const res = await s.veil.app.request(`http://veil.example.com/segment/v1/projects/${key}/settings`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as { integrations: Record<string, { apiKey: string; apiHost: string; protocol: string }>; metrics: { sampleRate: number; host: string } }
    expect(Object.keys(body.integrations)).toEqual(['Segment.io'])
    expect(body.integrations['Segment.io']).toMatchObject({ apiKey: key, apiHost: 'veil.example.com/segment/v1', protocol: 'https' })
    expect(body.metrics).toEqual({ sampleRate: 0, host: 'veil.example.com/segment/v1' })
  })

  it('takes nothing from a forged Host or X-Forwarded-* header (cache poisoning)', async () => {
    const plain = await (await s.veil.app.request(`http://veil.example.com/segment/v1/projects/${key}/settings`)).text()
    const forged: Record<string, string>[] = [
      { Host: 'evil.example.net' },
      { Host: 'evil.example.net', 'X-Forwarded-Proto': 'http', 'X-Forwarded-Host': 'evil.example.net' },
      { 'X-Forwarded-Host': 'evil.example.net:8443', Forwarded: 'host=evil.example.net;proto=http' },
    ]
    for (const headers of forged) {
      const res = await s.veil.app.request(`http://evil.example.net/segment/v1/projects/${key}/settings`, { headers })
      expect(res.status).toBe(200)
      expect(res.headers.get('cache-control')).toBe('no-store')
      const text = await res.text()
      expect(text).not.toContain('evil')
      expect(text).toBe(plain)
    }
  })

  it('answers 401 for the settings of an unknown key', async () => {
    const res = await s.veil.app.request('/segment/v1/projects/wk_unknown1234/settings')
    expect(res.status).toBe(401)
  })

  it('answers a CORS preflight with Authorization, and errors carry CORS headers too', async () => {
    const pre = await s.veil.app.request('/segment/v1/t', {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization')
    const err = await send('/segment/v1/t', track('x'), { Origin: 'https://shop.example.com' })
    expect(err.status).toBe(401)
    expect(err.headers.get('access-control-allow-origin')).toBe('*')
  })
})
