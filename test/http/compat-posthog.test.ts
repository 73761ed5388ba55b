// PostHog's capture API under /posthog through app.request(), on the real embedded ClickHouse:
// every body shape and compression posthog-js and posthog-node send, the 200 they count as
// success, auth and limit errors, the mapping, and that identify calls and traits are dropped.
import { randomUUID } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../support/server.ts'
import { CHROME_UA } from '../support/batch.ts'
import { compatApp, everythingStored, runId, storedRows } from '../support/compat.ts'

let s: TestServer
const app = compatApp('ph-app')
const other = compatApp('ph-other')
const trusting = compatApp('ph-trusting', { trust_client_ip: true })
const limited = compatApp('ph-limited', { rate_limit_rps: 1 })
const key = app.write_keys[0]!

beforeAll(async () => {
  s = await startTestServer({ listen: false, apps: [app, other, trusting, limited], env: { MAX_BODY_BYTES: '20000', RATE_LIMIT_BURST: '2' } })
})
afterAll(() => s?.stop())

const send = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
  s.veil.app.request(path, { method: 'POST', headers: { 'User-Agent': CHROME_UA, ...headers }, body })

/** An event as posthog-js sends it (properties trimmed to the ones that matter here). */
function jsEvent(run: string, overrides: Record<string, unknown> = {}, props: Record<string, unknown> = {}) {
  return {
    uuid: randomUUID(),
    event: 'Report Run',
    timestamp: new Date().toISOString(),
    properties: {
      token: key,
      distinct_id: 'anna@example.com',
      $session_id: 'sess-1',
      $lib: 'web',
      $browser_language: 'de-DE',
      $screen_width: 1920,
      $screen_height: 1080,
      $current_url: `https://shop.example.com/reports/${run}?user=anna@example.com`,
      $pathname: `/reports/${run}`,
      run,
      'Report Kind': 'monthly',
      ...props,
    },
    ...overrides,
  }
}

describe('PostHog capture: body shapes and compression', () => {
  it('takes posthog-node\'s {api_key, batch, sent_at} on /batch/ and answers 200 {"status": 1}', async () => {
    const run = runId()
    const res = await send('/posthog/batch/', JSON.stringify({ api_key: key, batch: [jsEvent(run)], sent_at: new Date().toISOString() }), { 'Content-Type': 'application/json' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 1 })
    const rows = await storedRows(s, app.id, run)
    expect(rows.map((r) => [r.name, r.props.report_kind])).toEqual([['report_run', 'monthly']])
  })

  it.each(['/posthog/e', '/posthog/e/', '/posthog/i/v0/e/', '/posthog/capture/', '/posthog/track', '/posthog/batch'])('accepts an array of events on %s', async (path) => {
    const run = runId()
    const res = await send(path, JSON.stringify([jsEvent(run), jsEvent(run, { event: 'button clicked' })]), { 'Content-Type': 'application/json' })
    expect(res.status).toBe(200)
    expect((await storedRows(s, app.id, run)).map((r) => r.name).sort()).toEqual(['button_clicked', 'report_run'])
  })

  it('accepts one event with the token as api_key', async () => {
    const run = runId()
    const { properties, ...rest } = jsEvent(run)
    const { token: _t, ...props } = properties
    const res = await send('/posthog/capture/', JSON.stringify({ ...rest, api_key: key, properties: props }))
    expect(res.status).toBe(200)
    expect(await storedRows(s, app.id, run)).toHaveLength(1)
  })

  it('accepts Content-Encoding: gzip', async () => {
    const run = runId()
    const res = await send('/posthog/batch/', gzipSync(JSON.stringify({ api_key: key, batch: [jsEvent(run)] })), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' })
    expect(res.status).toBe(200)
    expect(await storedRows(s, app.id, run)).toHaveLength(1)
  })

  it('accepts ?compression=gzip-js', async () => {
    const run = runId()
    const res = await send(`/posthog/e/?compression=gzip-js&ver=1.0&_=${Date.now()}`, gzipSync(JSON.stringify([jsEvent(run)])), { 'Content-Type': 'text/plain' })
    expect(res.status).toBe(200)
    expect(await storedRows(s, app.id, run)).toHaveLength(1)
  })

  it('recognises gzip with no label at all by its magic bytes (posthog-js sends it as text/plain)', async () => {
    const run = runId()
    const res = await send('/posthog/e/', gzipSync(JSON.stringify([jsEvent(run)])), { 'Content-Type': 'text/plain' })
    expect(res.status).toBe(200)
    expect(await storedRows(s, app.id, run)).toHaveLength(1)
  })

  it('accepts a ?compression=base64 form body (data=...), as sendBeacon sends it', async () => {
    const run = runId()
    const data = Buffer.from(JSON.stringify([jsEvent(run)])).toString('base64')
    const res = await send('/posthog/e/?compression=base64', `data=${encodeURIComponent(data)}`, { 'Content-Type': 'application/x-www-form-urlencoded' })
    expect(res.status).toBe(200)
    expect(await storedRows(s, app.id, run)).toHaveLength(1)
  })

  it('accepts a base64 form body whose + signs arrived unescaped', async () => {
    const run = runId()
    // Long enough that standard base64 of it contains '+' or '/'.
    const body = JSON.stringify([jsEvent(run, {}, { note: '>>>???~~~'.repeat(20) })])
    const data = Buffer.from(body).toString('base64')
    expect(data).toMatch(/[+/]/)
    const res = await send('/posthog/e/?compression=base64', `data=${data}`, { 'Content-Type': 'application/x-www-form-urlencoded' })
    expect(res.status).toBe(200)
    expect(await storedRows(s, app.id, run)).toHaveLength(1)
  })

  it('accepts a bare base64 body, and a JSON body despite a base64 label', async () => {
    const run = runId()
    const json = JSON.stringify([jsEvent(run)])
    expect((await send('/posthog/e/?compression=base64', Buffer.from(json).toString('base64'))).status).toBe(200)
    expect((await send('/posthog/e/?compression=base64', JSON.stringify([jsEvent(run)]))).status).toBe(200)
    expect(await storedRows(s, app.id, run)).toHaveLength(2)
  })

  it('says clearly when a body is not what its compression claims', async () => {
    const res = await send('/posthog/e/?compression=gzip-js', JSON.stringify([jsEvent('x')]))
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toMatch(/not gzip data/)
    const lz = await send('/posthog/e/?compression=lz64', 'data=abc')
    expect(lz.status).toBe(415)
    expect(((await lz.json()) as { error: string }).error).toMatch(/lz64 is not supported/)
    const b64 = await send('/posthog/e/?compression=base64', 'data=%21%21not*base64', { 'Content-Type': 'application/x-www-form-urlencoded' })
    expect(b64.status).toBe(400)
    expect(((await b64.json()) as { error: string }).error).toMatch(/not base64/)
    const bad = await send('/posthog/e/', '{not json')
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: string }).error).toMatch(/not valid JSON/)
  })
})

describe('PostHog capture: auth and limits', () => {
  it('answers 401 without a token, with an unknown one, and with a read key', async () => {
    const { properties, ...rest } = jsEvent('x')
    const { token: _t, ...props } = properties
    const none = await send('/posthog/e/', JSON.stringify({ ...rest, properties: props }))
    expect(none.status).toBe(401)
    expect(((await none.json()) as { error: string }).error).toMatch(/project token is required/)
    const unknown = await send('/posthog/batch/', JSON.stringify({ api_key: 'wk_unknown1234', batch: [jsEvent('x')] }))
    expect(unknown.status).toBe(401)
    expect(((await unknown.json()) as { error: string }).error).toMatch(/unknown write key/)
    const read = await send('/posthog/batch/', JSON.stringify({ api_key: app.read_keys[0], batch: [jsEvent('x')] }))
    expect(read.status).toBe(401)
    expect(((await read.json()) as { error: string }).error).toMatch(/read key/)
  })

  it('never writes an event carrying another app\'s token into this app', async () => {
    const run = runId()
    const foreign = jsEvent(run, {}, { token: other.write_keys[0] })
    const res = await send('/posthog/e/', JSON.stringify([jsEvent(run), foreign]))
    expect(res.status).toBe(200)
    expect(await storedRows(s, app.id, run)).toHaveLength(1)
    expect(await storedRows(s, other.id, run)).toHaveLength(0)
    expect(s.veil.metrics.get('compat_dropped_events_total', { dialect: 'posthog', reason: 'key_mismatch' })).toBeGreaterThan(0)
  })

  it('answers 413 for a body over MAX_BODY_BYTES, sent plain or inflating from gzip', async () => {
    const big = JSON.stringify([jsEvent('x', {}, { pad: 'a'.repeat(25_000) })])
    const plain = await send('/posthog/e/', big)
    expect(plain.status).toBe(413)
    expect(((await plain.json()) as { error: string }).error).toMatch(/larger than 20000 bytes/)
    const zipped = await send('/posthog/e/', gzipSync(big))
    expect(zipped.status).toBe(413)
    expect(((await zipped.json()) as { error: string }).error).toMatch(/inflates to more than 20000 bytes/)
  })

  it('rate-limits per write key with 429 and Retry-After, like /v1/batch', async () => {
    const lk = limited.write_keys[0]!
    const statuses: number[] = []
    let retryAfter: string | null = null
    for (let i = 0; i < 4; i++) {
      const res = await send('/posthog/batch/', JSON.stringify({ api_key: lk, batch: [jsEvent('rl', {}, { token: lk })] }))
      statuses.push(res.status)
      if (res.status === 429) retryAfter = res.headers.get('retry-after')
    }
    expect(statuses).toContain(429)
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)
  })
})

describe('PostHog mapping', () => {
  it('stores a $pageview as page_view with the path only, ids hashed, context mapped, $-properties dropped', async () => {
    const run = runId()
    const e = jsEvent(run, { event: '$pageview' }, { $pathname: undefined, $current_url: `https://shop.example.com/p/${run}/orders/48213?email=anna@example.com#top`, $os: 'Windows', $referrer: 'https://google.com/?q=anna' })
    const res = await send('/posthog/e/', JSON.stringify([e]))
    expect(res.status).toBe(200)
    const [row] = await storedRows(s, app.id, run)
    expect(row?.name).toBe('page_view')
    expect(row?.props.path).toBe(`/p/${run}/orders/:id`)
    expect(row?.lang).toBe('de-DE')
    expect([row?.screen_w, row?.screen_h]).not.toEqual([0, 0])
    expect(row?.user_hash).toMatch(/^[0-9a-f]+$/)
    expect(row?.user_hash).not.toContain('anna')
    expect(row?.session_hash).not.toBe('')
    // Nothing of the $-properties (referrer, OS, URL) became a prop.
    expect(Object.keys(row!.props).filter((k) => !['path', 'report_kind', 'run'].includes(k))).toEqual([])
    expect(row?.browser).toBe('Chrome') // from the User-Agent, not the $os property of a browser
  })

  it('drops $identify, $set and $create_alias and every trait, and counts them', async () => {
    const run = runId()
    const before = s.veil.metrics.get('compat_dropped_events_total', { dialect: 'posthog', reason: 'trait' })
    const res = await send('/posthog/e/', JSON.stringify([
      jsEvent(run, { event: '$identify', $set: { email: 'anna@example.com', name: 'Anna Beispiel' } }),
      jsEvent(run, { event: '$set' }, { $set: { plan: 'pro' } }),
      jsEvent(run, { event: '$create_alias' }, { alias: 'anna' }),
      jsEvent(run, { $set: { email: 'anna@example.com' } }, { $set_once: { first_seen: 'x' } }),
    ]))
    expect(res.status).toBe(200)
    const rows = await storedRows(s, app.id, run)
    expect(rows.map((r) => r.name)).toEqual(['report_run'])
    expect(s.veil.metrics.get('compat_dropped_events_total', { dialect: 'posthog', reason: 'trait' }) - before).toBe(3)
    const all = await everythingStored(s, app.id)
    expect(all).not.toContain('anna@example.com')
    expect(all).not.toContain('Anna Beispiel')
    expect(all).not.toContain(key)
  })

  it('drops PostHog\'s own events ($autocapture, $pageleave) and counts them', async () => {
    const run = runId()
    const res = await send('/posthog/e/', JSON.stringify([jsEvent(run, { event: '$autocapture' }), jsEvent(run, { event: '$pageleave' }), jsEvent(run)]))
    expect(res.status).toBe(200)
    expect((await storedRows(s, app.id, run)).map((r) => r.name)).toEqual(['report_run'])
    expect(s.veil.metrics.get('compat_dropped_events_total', { dialect: 'posthog', reason: 'internal' })).toBeGreaterThanOrEqual(2)
  })

  it('stores a resent event (same uuid) once, and the same uuid in another app separately', async () => {
    const run = runId()
    const e = jsEvent(run)
    for (let i = 0; i < 3; i++) expect((await send('/posthog/e/', JSON.stringify([e]))).status).toBe(200)
    const rows = await storedRows(s, app.id, run)
    expect(rows).toHaveLength(1)
    expect(rows[0]!.event_id).not.toBe(e.uuid) // derived from app + uuid, not the client's id
    const elsewhere = await send('/posthog/e/', JSON.stringify([{ ...e, properties: { ...e.properties, token: other.write_keys[0] } }]))
    expect(elsewhere.status).toBe(200)
    expect(await storedRows(s, other.id, run)).toHaveLength(1)
  })

  it('rejects an event whose name the rule cannot make valid, and stores its neighbours', async () => {
    const run = runId()
    const res = await send('/posthog/e/', JSON.stringify([
      jsEvent(run, { event: '123 go' }),
      jsEvent(run, { event: '!!!' }),
      // Converting would turn the address into a harmless-looking name; it is judged as sent.
      jsEvent(run, { event: 'Signed up berta@example.org' }, { 'berta@example.org': true }),
      jsEvent(run),
    ]))
    expect(res.status).toBe(200)
    expect((await storedRows(s, app.id, run)).map((r) => r.name)).toEqual(['report_run'])
    const all = await everythingStored(s, app.id)
    expect(all).not.toMatch(/berta.example/)
  })

  it('uses $ip as the client address only for an app that allows it, and stores nothing of it', async () => {
    const run = runId()
    const tk = trusting.write_keys[0]!
    // posthog-node forwarding its user's address; 81.2.69.160 is a London test address of GeoIP databases.
    const body = { api_key: tk, batch: [jsEvent(run, {}, { token: tk, $lib: 'posthog-node', $ip: '81.2.69.160' })] }
    expect((await send('/posthog/batch/', JSON.stringify(body), { 'User-Agent': 'posthog-node/5.0.0' })).status).toBe(200)
    const [row] = await storedRows(s, trusting.id, run)
    expect(row?.country).not.toBe('')
    const noTrust = { api_key: key, batch: [jsEvent(run, {}, { $lib: 'posthog-node', $ip: '81.2.69.160' })] }
    expect((await send('/posthog/batch/', JSON.stringify(noTrust), { 'User-Agent': 'posthog-node/5.0.0' })).status).toBe(200)
    const [plain] = await storedRows(s, app.id, run)
    expect(plain?.country).toBe('') // app.request() has no socket address, and $ip is not believed
    expect(await everythingStored(s, trusting.id)).not.toContain('81.2.69')
  })

  it('stores server-side events although their User-Agent names an HTTP library', async () => {
    const run = runId()
    const res = await send('/posthog/batch/', JSON.stringify({ api_key: key, batch: [jsEvent(run, {}, { $lib: 'posthog-node' })] }), { 'User-Agent': 'posthog-node/5.70.0' })
    expect(res.status).toBe(200)
    expect(await storedRows(s, app.id, run)).toHaveLength(1)
  })
})

describe('PostHog flags and config', () => {
  it.each(['/posthog/flags/?v=2', '/posthog/decide/?v=3', '/posthog/flags'])('answers %s with an empty, valid no-flags response', async (path) => {
    const res = await send(path, JSON.stringify({ token: key, distinct_id: 'x' }))
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({ flags: {}, featureFlags: {}, errorsWhileComputingFlags: false, sessionRecording: false })
  })

  it('answers a CORS preflight with Authorization, as browser SDKs send it', async () => {
    const res = await s.veil.app.request('/posthog/e/', {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,authorization' },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization')
  })
})
