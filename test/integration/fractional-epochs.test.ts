// Numbers as the wire allows (issue 24, item 3): a fractional epoch in `sent_at` or `ts`
// (`Date.now() + 0.25`, Python's `time.time() * 1000`) is accepted and rounded to the
// millisecond in both write modes, through the real route and the real engine.
import { afterAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'

const dataDir = tempDir()
const app = testApp()
let s: TestServer | undefined
afterAll(() => s?.stop())

const storedTs = async (ids: string[]) => {
  const rows = await s!.query<{ id: string; ts: string }>(
    'SELECT toString(event_id) AS id, toString(toUnixTimestamp64Milli(ts)) AS ts FROM events WHERE toString(event_id) IN {ids:Array(String)}',
    { ids },
  )
  return new Map(rows.map((r) => [r.id, Number(r.ts)]))
}

/** Bounded polling: in spool mode a 202 means synced to disk, ClickHouse follows. */
async function waitStored(ids: string[]): Promise<Map<string, number>> {
  for (let i = 0; i < 200; i++) {
    const got = await storedTs(ids)
    if (got.size === ids.length) return got
    await new Promise((r) => setTimeout(r, 50))
  }
  return storedTs(ids)
}

describe.each(['direct', 'spool'] as const)('%s mode', (mode) => {
  it('accepts a fractional sent_at and fractional ts, and stores every event with ts rounded to the millisecond', async () => {
    await s?.stop()
    s = await startTestServer({ dataDir, apps: [app], listen: false, env: { WRITE_MODE: mode, SPOOL_FEED_DELAY_MS: '0' } })
    const at = Date.now() - 60_000
    const events = [event({ ts: at + 0.25 }), event({ ts: at + 1000.5 }), event({ ts: at + 2000 })]
    // Python: int(time.time() * 1000) is usual, time.time() * 1000 is not rare.
    const res = await s.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, events, { sent_at: Date.now() + 0.375 })))
    expect(res.status).toBe(202)
    expect(await res.json()).toEqual({ accepted: 3, rejected: [], dropped: [] })
    const stored = await waitStored(events.map((e) => e.id))
    expect(stored.size).toBe(3)
    for (const e of events) expect(Number.isInteger(stored.get(e.id))).toBe(true)
    // The clock correction (ts + received - sent_at) moves them together: their spacing stays.
    const [a, b, c] = events.map((e) => stored.get(e.id)!)
    expect(b! - a!).toBeGreaterThanOrEqual(999)
    expect(b! - a!).toBeLessThanOrEqual(1001)
    expect(c! - b!).toBeGreaterThanOrEqual(999)
    expect(c! - b!).toBeLessThanOrEqual(1001)
  })
})
