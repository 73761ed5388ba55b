// The default write mode of a node on the embedded engine is the spool (config.ts): a 202 is an
// fdatasync to DATA_DIR/veil-spool, and the events reach ClickHouse when the spool feeds them.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'

let s: TestServer
beforeAll(async () => {
  // An empty WRITE_MODE is unset: the configuration's own default, not the test helper's.
  s = await startTestServer({ listen: false, env: { WRITE_MODE: '', SPOOL_FEED_DELAY_MS: '0' } })
})
afterAll(() => s?.stop())

describe('the default write mode with the embedded engine', () => {
  it('acknowledges through the spool under DATA_DIR and stores the events once it has fed them', async () => {
    const events = [event(), event(), event()]
    const res = await s.veil.app.request('/v1/batch', post(batch(s.writeKey, events)))
    expect(res.status).toBe(202)
    expect(s.veil.spool).toBeDefined()
    expect(existsSync(join(s.dataDir, 'clickhouse', 'veil-spool'))).toBe(true)
    await s.veil.spool!.drain()
    const ids = events.map((e) => e.id)
    const [row] = await s.query<{ n: string }>('SELECT count() AS n FROM events WHERE event_id IN {ids:Array(UUID)}', { ids })
    expect(Number(row!.n)).toBe(3)
  })
})
