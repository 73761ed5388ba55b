// Retries later than recent_event_ids' two hours (issue 24, item 2): an SDK's persisted queue
// keeps an unanswered batch for days, and a retry that reaches a node whose retry memory does
// not hold it (another node, a restart, a memory that moved on) is stored once, in both modes.
// The first attempt is received three hours back on an injected clock; the retry memory is off
// (DEDUP_WINDOW_IDS=0), as on another node.
import { afterAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'

const HOUR = 3_600_000
const dataDir = tempDir()
let s: TestServer | undefined
afterAll(() => s?.stop())

const counts = async (ids: string[]) => {
  const rows = await s!.query<{ id: string; n: string }>('SELECT toString(event_id) AS id, count() AS n FROM events WHERE toString(event_id) IN {ids:Array(String)} GROUP BY id', { ids })
  return rows.map((r) => Number(r.n)).sort()
}
async function waitCounts(ids: string[], total: number): Promise<number[]> {
  for (let i = 0; i < 200; i++) {
    const c = await counts(ids)
    if (c.reduce((a, b) => a + b, 0) >= total) return c
    await new Promise((r) => setTimeout(r, 50))
  }
  return counts(ids)
}

describe.each(['direct', 'spool'] as const)('%s mode', (mode) => {
  it('stores once an event retried three hours after its first attempt was stored, and looks up no fresh event', async () => {
    await s?.stop()
    let offset = -3 * HOUR
    // Hourly salt periods: the retry is always in another period than its first attempt, as a
    // daily one's is just after midnight. Half the events are named outside the plan, stored as
    // a token of the period's key, so the retry's stored name differs from the first attempt's.
    const app = testApp(`late-${mode}`, { salt_rotation_hours: 1 })
    s = await startTestServer({ dataDir, apps: [app], listen: false, now: () => Date.now() + offset, env: { WRITE_MODE: mode, SPOOL_FEED_DELAY_MS: '0', DEDUP_WINDOW_IDS: '0' } })
    const events = Array.from({ length: 40 }, (_, i) => event({ name: i % 2 ? 'login' : 'click', ts: Date.now() - 3 * HOUR - 60_000 }))
    const ids = events.map((e) => e.id)
    const first = await s.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, events, { sent_at: Date.now() - 3 * HOUR })))
    expect(first.status).toBe(202)
    expect(await waitCounts(ids, 40)).toEqual(Array(40).fill(1))

    offset = 0
    const fresh = [event(), event()]
    expect((await s.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, fresh)))).status).toBe(202)
    const lookedBefore = s.veil.metrics.get('late_retry_ids_total')
    // The queue's retry: the same events, their own ts, a new sent_at, and one new event behind
    // them (in a group commit other rows come along: the insert token is not the first one's).
    const newer = event()
    const retry = await s.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, [...events, newer])))
    expect(retry.status).toBe(202)
    expect(await retry.json()).toEqual({ accepted: 41, rejected: [], dropped: [] })
    await s.veil.writer.flush()
    const all = [...ids, ...fresh.map((e) => e.id), newer.id]
    // The retry's rows and the new event share one frame and one insert: once the new one is
    // stored, so is whatever of the retry would be.
    await waitCounts(all, 43)
    expect(await counts(all)).toEqual(Array(43).fill(1))
    // Only the old events were looked up (the fresh ones passed with a comparison).
    expect(s.veil.metrics.get('late_retry_ids_total') - lookedBefore).toBe(40)
    expect(s.veil.metrics.get('late_retry_stored_total')).toBeGreaterThanOrEqual(40)
  })
})

describe('spool mode, the first attempt still in the backlog', () => {
  it('feeds the backlog before it looks a late retry up: stored once; a 503 while the store cannot take the backlog', async () => {
    await s?.stop()
    let offset = -3 * HOUR
    let storeDown = true
    const app = testApp('late-backlog')
    s = await startTestServer({
      dataDir: tempDir(), apps: [app], listen: false, now: () => Date.now() + offset,
      env: { WRITE_MODE: 'spool', SPOOL_FEED_DELAY_MS: '0', DEDUP_WINDOW_IDS: '0' },
      // The store refuses the spool's inserts, so the first attempt waits in the backlog.
      wrapSpoolInsert: (real) => async (body, n, token, first, format) => {
        if (storeDown) throw new Error('ClickHouse is down')
        return real(body, n, token, first, format)
      },
    })
    const events = Array.from({ length: 20 }, () => event({ ts: Date.now() - 3 * HOUR - 60_000 }))
    const ids = events.map((e) => e.id)
    const send = (sentAt?: number) => s!.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, events, sentAt === undefined ? {} : { sent_at: sentAt })))
    expect((await send(Date.now() - 3 * HOUR)).status).toBe(202)
    offset = 0
    // The backlog cannot be fed: the late retry cannot be looked up, and the client keeps it.
    expect((await send()).status).toBe(503)
    storeDown = false
    // Before, the retry was answered 202 at once and both copies were stored (20 of 20 twice).
    expect((await send()).status).toBe(202)
    await s.veil.spool!.drain()
    expect(await counts(ids)).toEqual(Array(20).fill(1))
  })
})
