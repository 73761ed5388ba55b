// The retry memory is refilled at start with the ids received in the last hour, measured on the
// clock that stamped received_at. With an injected clock days away from the wall clock, a retry
// across a restart must still be stored once (the engine's now64() would find no recent ids).
import { afterAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'

// 20 hours back: far outside the engine's last hour, yet the salt of that period is still within
// its 48-hour grace by the engine's wall clock (the salts TTL).
const clock = Date.now() - 20 * 3600_000
const dataDir = tempDir()
const app = testApp()
let s: TestServer | undefined
afterAll(() => s?.stop())

const start = () => startTestServer({ dataDir, apps: [app], listen: false, now: () => clock })
const send = (srv: TestServer, events: ReturnType<typeof event>[]) =>
  srv.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, events, { sent_at: clock })))

describe('retry memory across a restart', () => {
  it('stores an event retried alone after a restart once, on an injected clock', async () => {
    const first = event({ ts: clock })
    const second = event({ ts: clock })
    s = await start()
    expect((await send(s, [first, second])).status).toBe(202)
    await s.stop()
    s = await start()
    // Sent alone, the retry's insert token differs from the first insert's: only the memory
    // refilled at start can recognise it.
    expect((await send(s, [first])).status).toBe(202)
    const rows = await s.query<{ n: string }>('SELECT count() AS n FROM events WHERE event_id = {id:UUID}', { id: first.id })
    expect(Number(rows[0]!.n)).toBe(1)
  })
})
