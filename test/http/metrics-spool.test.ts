// With WRITE_MODE=spool, /metrics has the spool's depth (storage/spool/metrics.ts) beside the
// writer's, and events accepted through the spool are counted by app.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer({ listen: false, env: { WRITE_MODE: 'spool', SPOOL_FEED_DELAY_MS: '0', METRICS_TOKEN: 'metrics-token-0123456789' } })
})
afterAll(() => s?.stop())

describe('GET /metrics with the spool', () => {
  it('shows spool depth and sync counts with HELP and TYPE, and events by app', async () => {
    expect((await s.veil.app.request('/v1/batch', post(batch(s.writeKey, [event(), event()])))).status).toBe(202)
    await s.veil.spool!.drain()
    const text = await (await s.veil.app.request('/metrics', { headers: { Authorization: 'Bearer metrics-token-0123456789' } })).text()
    for (const name of ['veil_spool_pending_rows', 'veil_spool_pending_bytes', 'veil_writer_pending_rows']) {
      expect(text).toContain(`# TYPE ${name} gauge\n`)
    }
    // Totals the spool and its writer keep are counters, not gauges named *_total.
    for (const name of ['veil_spool_syncs_total', 'veil_spool_failed_inserts_total', 'veil_spool_retries_total', 'veil_writer_inserts_total', 'veil_writer_retries_total']) {
      expect(text).toContain(`# TYPE ${name} counter\n`)
    }
    expect(text).toMatch(/^veil_spool_pending_rows 0$/m)
    expect(Number(/^veil_spool_syncs_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1)
    expect(text).toContain(`veil_accepted_events_total{app="${s.appId}"} 2`)
    expect(text).toMatch(/^veil_insert_duration_seconds_count\{table="events",outcome="ok"\} [1-9]/m)
  })
})
