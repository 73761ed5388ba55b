// POST /v1/batch at the edge through app.request(): every limit and bad input gets its status
// and a clear message, and the server keeps serving; CORS, 404s and the SDK script. Nothing here
// reads the store, so the storage-free app serves it (test/support/storage-free-app.ts); what
// is stored after a 202, and what is not, is in batch.test.ts on the real engine.
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { testApp } from '../support/server.ts'
import { createStorageFreeApp } from '../support/storage-free-app.ts'
import { batch, event, post } from '../support/batch.ts'

const limited = testApp('limited', { rate_limit_rps: 1 })
const s = createStorageFreeApp({
  apps: [testApp('test-app'), limited],
  env: { MAX_BODY_BYTES: '20000', RATE_LIMIT_BURST: '2' },
})

const send = async (init: RequestInit, path = '/v1/batch') => s.app.request(path, init)

async function expectError(res: Response, status: number, message: RegExp) {
  expect(res.status).toBe(status)
  const body = (await res.json()) as { error: string }
  expect(body.error).toMatch(message)
}

describe('limits and bad input', () => {
  it('refuses a body over MAX_BODY_BYTES with 413', async () => {
    const big = batch(s.writeKey, [event({ props: { text: 'x'.repeat(30_000) } })])
    await expectError(await send(post(big)), 413, /larger than 20000 bytes/)
  })

  it('refuses an oversized chunked body (no Content-Length) with 413', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(8000))
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 10) controller.enqueue(chunk)
        else controller.close()
      },
    })
    const init = { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body, duplex: 'half' } as RequestInit
    await expectError(await send(init), 413, /larger than 20000 bytes/)
    expect(sent).toBeLessThan(10) // reading stopped at the limit
  })

  it('refuses a gzip bomb by its inflated size with 413', async () => {
    const bomb = gzipSync(Buffer.alloc(15_000_000, 0x20))
    expect(bomb.length).toBeLessThan(20_000)
    await expectError(await send(post(bomb, { 'Content-Encoding': 'gzip' })), 413, /inflates to more than 20000 bytes/)
  })

  it('refuses a corrupt gzip body with 400', async () => {
    await expectError(await send(post(Buffer.from('not gzip at all'), { 'Content-Encoding': 'gzip' })), 400, /not valid gzip/)
  })

  it('refuses other encodings and media types with 415', async () => {
    await expectError(await send(post('{}', { 'Content-Encoding': 'br' })), 415, /Content-Encoding "br" is not supported/)
    await expectError(await send(post('{}', { 'Content-Type': 'application/x-www-form-urlencoded' })), 415, /Content-Type must be/)
  })

  it('refuses invalid JSON with 400 naming the problem', async () => {
    await expectError(await send(post('{"key": "wk_x", "events": [')), 400, /not valid JSON \(it ends too early\)/)
    const res = await send(post('{"key": jane.roe@example.com}'))
    expect(res.status).toBe(400)
    expect(await res.text()).not.toContain('jane')
  })

  it('refuses a body that is not an object, however deeply nested', async () => {
    await expectError(await send(post('['.repeat(5000) + ']'.repeat(5000))), 400, /must be a JSON object/)
  })

  it('rejects a __proto__ prop key without polluting prototypes', async () => {
    const text = `{"key":"${s.writeKey}","events":[{"id":"${event().id}","name":"login","ts":${Date.now()},"props":{"__proto__":{"polluted":"yes"}}},{"id":"${event().id}","name":"login","ts":${Date.now()},"__proto__":{"polluted":"yes"}}]}`
    const res = await send(post(text))
    const body = (await res.json()) as { accepted: number; rejected: { index: number; reason: string }[] }
    expect(body.rejected).toEqual([{ index: 0, reason: expect.stringMatching(/"__proto__" is not allowed/) }])
    // A __proto__ beside the event's fields is an unknown field, stripped like any other.
    expect(body.accepted).toBe(1)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('refuses an empty batch and a wrongly typed envelope with 400', async () => {
    await expectError(await send(post({ key: s.writeKey, events: [] })), 400, /at least one event/)
    await expectError(await send(post({ key: s.writeKey, events: 'none' })), 400, /events/)
    await expectError(await send(post({ key: s.writeKey, sent_at: 'now', events: [event()] })), 400, /sent_at/)
  })

  it('rate-limits a write key with 429 and Retry-After', async () => {
    const statuses: number[] = []
    let retryAfter: string | null = null
    for (let i = 0; i < 5; i++) {
      const res = await send(post(batch(limited.write_keys[0]!, [event()])))
      statuses.push(res.status)
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after')
        expect(((await res.json()) as { error: string }).error).toMatch(/too many requests/)
      }
    }
    expect(statuses.slice(0, 2)).toEqual([202, 202])
    expect(statuses).toContain(429)
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)
    // Another app's key is not affected.
    expect((await send(post(batch(s.writeKey, [event()])))).status).toBe(202)
  })

  it('keeps serving after all of the above, and hands the writer the next batch', async () => {
    const e = event()
    expect((await send(post(batch(s.writeKey, [e])))).status).toBe(202)
    expect(s.events.at(-1)![1]).toBe(e.id)
  })
})

describe('other routes', () => {
  it('answers a CORS preflight for JSON clients', async () => {
    const res = await send({ method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' } })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-methods')).toBe('POST,OPTIONS')
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Content-Type/)
  })

  it('lets a page read every answer of the batch route, errors too', async () => {
    const accepted = await send(post(batch(s.writeKey, [event()])))
    const refused = await send(post(batch('wk_unknownkey', [event()])))
    const tooLarge = await send(post(batch(s.writeKey, [event({ props: { note: 'x'.repeat(25_000) } })])))
    const notJson = await send({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"key":' })
    const wrongType = await send({ method: 'POST', headers: { 'Content-Type': 'image/png' }, body: '{}' })
    expect([accepted.status, refused.status, tooLarge.status, notJson.status, wrongType.status]).toEqual([202, 401, 413, 400, 415])
    for (const res of [accepted, refused, tooLarge, notJson, wrongType]) {
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      expect(res.headers.get('access-control-expose-headers')).toBe('Retry-After')
    }
  })

  it('answers unknown routes with a JSON 404', async () => {
    await expectError(await send({}, '/nope'), 404, /no route for GET \/nope/)
  })
})

describe('browser SDK script', () => {
  it('serves the built script with caching and CORS headers', async () => {
    const res = await send({}, '/veil.min.js')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/javascript/)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const { readFileSync } = await import('node:fs')
    expect(await res.text()).toBe(readFileSync(new URL('../../sdk/browser/dist/veil.min.js', import.meta.url), 'utf8'))
  })

  it('serves the ES module at /veil.mjs, with its exports', async () => {
    const res = await send({}, '/veil.mjs')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/javascript/)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const text = await res.text()
    expect(text).toMatch(/export\s*\{[^}]*\binit\b[^}]*\}/)
    expect(text).toMatch(/\bflush\b/)
  })
})
