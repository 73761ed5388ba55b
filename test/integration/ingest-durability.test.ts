// The durability rule (DESIGN.md): a 202 means committed, storage trouble is a 503 with
// Retry-After and nothing half-acknowledged, and a retried batch is stored once, also across
// a restart of the server. In direct mode, whose inserts wrapInsert replaces with failing ones
// (the spool's side is in spool-*.test.ts and test/faults).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import type { InsertFn } from '../../src/boot/start-veil.ts'

/** A storage that fails or stalls on demand: the only fake here, standing in for a bad disk. */
let mode: 'ok' | 'fail' | 'stall' = 'ok'
const flaky = (insert: InsertFn): InsertFn => async (rows, token) => {
  if (mode === 'fail') throw new Error('disk full')
  if (mode === 'stall') await new Promise((r) => setTimeout(r, 6000))
  return insert(rows, token)
}

const dataDir = tempDir()
const app = testApp()
let s: TestServer

beforeAll(async () => {
  s = await startTestServer({ dataDir, apps: [app], listen: false, wrapInsert: flaky, env: { WRITE_MODE: 'direct', WRITER_TIMEOUT_MS: '2000' } })
})
afterAll(() => s?.stop())

const send = (body: unknown) => s.veil.app.request('/v1/batch', post(body))
const countIds = async (ids: string[]) =>
  Number((await s.query<{ n: string }>('SELECT count() AS n FROM events WHERE toString(event_id) IN {ids:Array(String)}', { ids }))[0]!.n)

describe('retries', () => {
  it('stores each event of a batch sent twice once', async () => {
    const events = [event(), event(), event()]
    const body = batch(app.write_keys[0]!, events)
    const first = await send(body)
    const second = await send(body)
    expect([first.status, second.status]).toEqual([202, 202])
    expect(await second.json()).toEqual({ accepted: 3, rejected: [], dropped: [] })
    expect(await countIds(events.map((e) => e.id))).toBe(3)
  })

  it('stores an event repeated within one batch once', async () => {
    const e = event()
    expect((await send(batch(app.write_keys[0]!, [e, e]))).status).toBe(202)
    expect(await countIds([e.id])).toBe(1)
  })

  it('stores a retry that overlaps an earlier batch only for its new events', async () => {
    const a = event()
    const b = event()
    await send(batch(app.write_keys[0]!, [a]))
    await send(batch(app.write_keys[0]!, [a, b]))
    expect(await countIds([a.id, b.id])).toBe(2)
  })

  it('answers a concurrent retry after the first commit, storing once', async () => {
    const e = event()
    const [r1, r2] = await Promise.all([send(batch(app.write_keys[0]!, [e])), send(batch(app.write_keys[0]!, [e]))])
    expect([r1.status, r2.status]).toEqual([202, 202])
    expect(await countIds([e.id])).toBe(1)
  })
})

describe('storage trouble', () => {
  it('answers 503 with Retry-After when the insert fails, re-sends the same rows itself, and stores a client retry once', async () => {
    const e = event()
    mode = 'fail'
    try {
      const res = await send(batch(app.write_keys[0]!, [e]))
      expect(res.status).toBe(503)
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(((await res.json()) as { error: string }).error).toMatch(/not stored.*retry later/)
      expect(await countIds([e.id])).toBe(0)
    } finally {
      mode = 'ok'
    }
    // The outcome of a failed insert is unknown (it may have committed): the writer re-sends
    // the same rows with the same token, and a client retry waits for that instead of writing
    // the event again under another token (F6). Answered 202 once it is stored, stored once.
    let status = 0
    for (let i = 0; i < 40 && status !== 202; i++) status = (await send(batch(app.write_keys[0]!, [e]))).status
    expect(status).toBe(202)
    expect(await countIds([e.id])).toBe(1)
    expect(s.veil.writer.stats().retries).toBeGreaterThan(0)
  })

  it('answers 503 when storage is too slow, and a retry stores the event once', async () => {
    const e = event()
    mode = 'stall'
    try {
      const res = await send(batch(app.write_keys[0]!, [e]))
      expect(res.status).toBe(503)
      expect(((await res.json()) as { error: string }).error).toMatch(/did not commit within 2000 ms/)
      // The slow insert is still running: a retry now waits for that same commit, and gets
      // a 503 too while it lasts, rather than writing the event a second time.
      expect((await send(batch(app.write_keys[0]!, [e]))).status).toBe(503)
    } finally {
      mode = 'ok'
    }
    await s.veil.writer.flush()
    expect(await countIds([e.id])).toBe(1)
    // Once it has committed, the client's next retry is acknowledged without a second copy.
    expect((await send(batch(app.write_keys[0]!, [e]))).status).toBe(202)
    expect(await countIds([e.id])).toBe(1)
  })

  it('reports ready while storage is reachable', async () => {
    expect((await s.veil.app.request('/readyz')).status).toBe(200)
  })
})

describe('restart', () => {
  it('stores a batch retried after a restart once', async () => {
    const events = [event(), event()]
    const body = batch(app.write_keys[0]!, events)
    expect((await send(body)).status).toBe(202)
    await s.stop()
    expect((await s.veil.app.request('/readyz')).status).toBe(503)
    s = await startTestServer({ dataDir, apps: [app], listen: false, env: { WRITE_MODE: 'direct' } })
    expect((await send(body)).status).toBe(202)
    expect(await countIds(events.map((e) => e.id))).toBe(2)
  })

  it('answers 503 to writes after shutdown began', async () => {
    await s.veil.writer.shutdown()
    const res = await send(batch(app.write_keys[0]!, [event()]))
    expect(res.status).toBe(503)
    expect(((await res.json()) as { error: string }).error).toMatch(/shutting down/)
  })
})

describe('storage gone', () => {
  // On the embedded engine the salts live in memory (PRIVACY.md 19), so a closed store fails the
  // insert, not the salts: the answer is still a 503 the client retries, never a 500.
  it('answers 503, not 500, when the store is gone', async () => {
    const other = testApp('other-app')
    await s.stop() // one engine per process: this server reopens the same data directory
    const t = await startTestServer({ dataDir, apps: [other], listen: false, env: { WRITE_MODE: 'direct' } })
    await t.veil.storage.close()
    const res = await t.veil.app.request('/v1/batch', post(batch(other.write_keys[0]!, [event()])))
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('5')
    expect(((await res.json()) as { error: string }).error).toMatch(/^events not stored: .*; retry later$/)
    expect((await t.veil.app.request('/readyz')).status).toBe(503)
  })
})
