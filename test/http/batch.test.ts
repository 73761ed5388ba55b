// POST /v1/batch through app.request(), read back from the store: the valid events of a mixed
// batch are stored, refused ones are not, the server keeps serving. Storage is the real embedded
// ClickHouse with the real migrations; the edge checks that store nothing are in batch-edge.test.ts.
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'

let s: TestServer

beforeAll(async () => {
  s = await startTestServer({
    listen: false,
    apps: [testApp('test-app')],
    env: { MAX_BODY_BYTES: '20000', METRICS_TOKEN: 'metrics-token-0123456789' },
  })
})
afterAll(() => s?.stop())

const send = (init: RequestInit, path = '/v1/batch') => s.veil.app.request(path, init)
const count = async (ids: string[]) =>
  Number((await s.query<{ n: string }>('SELECT count() AS n FROM events WHERE toString(event_id) IN {ids:Array(String)}', { ids }))[0]!.n)

async function expectError(res: Response, status: number, message: RegExp) {
  expect(res.status).toBe(status)
  const body = (await res.json()) as { error: string }
  expect(body.error).toMatch(message)
}

describe('accepted batches', () => {
  it('stores the events of a valid batch and answers 202 with the count', async () => {
    const events = [event(), event({ name: 'page_view', props: { path: '/orders/123?x=1' } })]
    const res = await send(post(batch(s.writeKey, events)))
    expect(res.status).toBe(202)
    expect(await res.json()).toEqual({ accepted: 2, rejected: [], dropped: [] })
    expect(await count(events.map((e) => e.id))).toBe(2)
  })

  it('accepts the write key as a Bearer token and an application/json body', async () => {
    const e = event()
    const res = await send(post({ events: [e] }, { 'Content-Type': 'application/json', Authorization: `Bearer ${s.writeKey}` }))
    expect(res.status).toBe(202)
    expect(await count([e.id])).toBe(1)
  })

  it('accepts a gzip body', async () => {
    const e = event()
    const res = await send(post(gzipSync(JSON.stringify(batch(s.writeKey, [e]))), { 'Content-Encoding': 'gzip' }))
    expect(res.status).toBe(202)
    expect(await count([e.id])).toBe(1)
  })

  it('stores the valid events of a mixed batch and lists the others by index and reason', async () => {
    const good = [event(), event({ name: 'report_query', props: { report: 'alarms', duration_ms: 12, status: 'ok' } })]
    const res = await send(
      post(
        batch(s.writeKey, [
          good[0],
          { ...event(), name: 'Bad Name!' },
          { ...event(), ts: 'yesterday' },
          good[1],
          { ...event(), name: 'report_query', props: { report: 'alarms' } },
          { ...event(), props: { nested: { deep: true } } },
          'not an event',
        ]),
      ),
    )
    expect(res.status).toBe(202)
    const body = (await res.json()) as { accepted: number; rejected: { index: number; reason: string }[] }
    expect(body.accepted).toBe(2)
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2, 4, 5, 6])
    expect(body.rejected[0]!.reason).toMatch(/name must match/)
    expect(body.rejected[1]!.reason).toMatch(/ts/)
    expect(body.rejected[2]!.reason).toMatch(/props\.duration_ms is required/)
    expect(body.rejected[3]!.reason).toMatch(/string, a finite number or a boolean/)
    expect(await count(good.map((e) => e.id))).toBe(2)
  })

  it('quarantines rejected events with their reason and shape, without identifiers or values', async () => {
    await send(post(batch(s.writeKey, [{ ...event(), name: 'Quarantine Me', user_id: 'quarantined-user-7' }])))
    await s.veil.writer.flush()
    // The quarantine writer is not part of the acknowledgement; wait for its own flush.
    let rows: { reason: string; event: string }[] = []
    for (let i = 0; i < 50 && rows.length === 0; i++) {
      rows = await s.query("SELECT reason, event FROM quarantine WHERE name = '[undeclared name: 13 chars]'")
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 100))
    }
    expect(rows).toHaveLength(1)
    expect(rows[0]!.reason).toMatch(/name must match/)
    expect(rows[0]!.event).not.toContain('quarantined-user-7')
    expect(rows[0]!.event).not.toContain('Quarantine Me')
    expect(JSON.parse(rows[0]!.event)).toMatchObject({ name: 'string(13)', user_id: 'string(18)' })
  })
})

describe('limits and bad input', () => {
  it('rejects an event whose props nest deeply, and keeps the rest of the batch', async () => {
    const deep = '{"a":'.repeat(2000) + '1' + '}'.repeat(2000)
    const ok = event()
    const text = `{"key":"${s.writeKey}","events":[{"id":"${event().id}","name":"login","ts":${Date.now()},"props":{"x":${deep}}},${JSON.stringify(ok)}]}`
    const res = await send(post(text))
    expect(res.status).toBe(202)
    const body = (await res.json()) as { accepted: number; rejected: { index: number; reason: string }[] }
    expect(body.accepted).toBe(1)
    expect(body.rejected[0]!.index).toBe(0)
    expect(await count([ok.id])).toBe(1)
  })

  it('refuses a batch with more than MAX_EVENTS_PER_BATCH events with 400', async () => {
    const events = Array.from({ length: 101 }, () => event())
    await expectError(await send(post(batch(s.writeKey, events))), 400, /at most 100 events/)
    expect(await count(events.map((e) => e.id))).toBe(0)
  })

  it('rejects events far in the past or future, and clamps a small future skew', async () => {
    const now = Date.now()
    const small = event({ ts: now + 2 * 60_000 })
    const res = await send(
      post(batch(s.writeKey, [event({ ts: now - 400 * 86400_000 }), event({ ts: now + 5 * 86400_000 }), small], { sent_at: now })),
    )
    const body = (await res.json()) as { accepted: number; rejected: { index: number; reason: string }[] }
    expect(body.rejected).toEqual([
      { index: 0, reason: expect.stringMatching(/older than 720 hours/) },
      { index: 1, reason: expect.stringMatching(/in the future/) },
    ])
    const [row] = await s.query<{ ts: string; received_at: string }>(
      'SELECT toUnixTimestamp64Milli(ts) AS ts, toUnixTimestamp64Milli(received_at) AS received_at FROM events WHERE event_id = {id:UUID}',
      { id: small.id },
    )
    expect(Number(row!.ts)).toBeLessThanOrEqual(Number(row!.received_at))
  })

  it('answers 401 for an unknown key, a missing key and a read key, and stores nothing', async () => {
    const e = event()
    await expectError(await send(post({ key: 'wk_unknownunknown', events: [e] })), 401, /unknown write key/)
    await expectError(await send(post({ events: [e] })), 401, /write key is required/)
    await expectError(await send(post({ key: s.readKey, events: [e] })), 401, /read key/)
    expect(await count([e.id])).toBe(0)
  })

  it('keeps serving after all of the above', async () => {
    const e = event()
    expect((await send(post(batch(s.writeKey, [e])))).status).toBe(202)
    expect(await count([e.id])).toBe(1)
  })
})

describe('on-prem batches', () => {
  it('takes the OS from the body and ignores the HTTP library User-Agent', async () => {
    const e = event({ name: 'app_start' })
    const body = batch(s.writeKey, [e], { context: { deployment: 'onprem', app_version: '7.1.0', os: { name: 'Windows', version: '10.0.19045' } } })
    const res = await send(post(body, { 'User-Agent': 'node' }))
    expect(await res.json()).toEqual({ accepted: 1, rejected: [], dropped: [] })
    const [row] = await s.query<Record<string, string>>('SELECT os, os_version, browser, deployment FROM events WHERE event_id = {id:UUID}', { id: e.id })
    expect(row).toEqual({ os: 'Windows', os_version: '10', browser: '', deployment: 'onprem' })
  })
})

describe('policy drops', () => {
  it('stores nothing from a browser bot and lists its events as dropped, not rejected', async () => {
    const e = event()
    const res = await send(post(batch(s.writeKey, [e]), { 'User-Agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }))
    expect(res.status).toBe(202)
    const body = (await res.json()) as { accepted: number; rejected: unknown[]; dropped: { index: number; reason: string; message: string }[] }
    expect(body.accepted).toBe(0)
    expect(body.rejected).toEqual([])
    expect(body.dropped).toEqual([{ index: 0, reason: 'bot', message: expect.stringMatching(/bot/) }])
    expect(await count([e.id])).toBe(0)
    expect(s.veil.metrics.get('dropped_events_total', { app: s.appId, reason: 'bot' })).toBeGreaterThanOrEqual(1)
  })

  it('stores nothing when the browser sends Sec-GPC: 1', async () => {
    const e = event()
    const res = await send(post(batch(s.writeKey, [e]), { 'Sec-GPC': '1' }))
    const body = (await res.json()) as { accepted: number; dropped: { reason: string }[] }
    expect(body.accepted).toBe(0)
    expect(body.dropped.map((d) => d.reason)).toEqual(['gpc'])
    expect(await count([e.id])).toBe(0)
  })
})

describe('other routes', () => {
  it('reports liveness, readiness and metrics', async () => {
    expect((await send({}, '/healthz')).status).toBe(200)
    expect(await (await send({}, '/readyz')).json()).toEqual({ status: 'ready' })
    const metrics = await (await send({ headers: { Authorization: 'Bearer metrics-token-0123456789' } }, '/metrics')).text()
    expect(metrics).toMatch(/veil_accepted_events_total\{app="[^"]+"\} \d+/)
    expect(metrics).toMatch(/veil_rejected_events_total\{app="[^"]+",reason="invalid"\} \d+/)
  })

})

