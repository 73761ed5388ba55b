// A relay whose spool is full (docs/relay.md "When the spool is full"): new events are refused
// with 503 and Retry-After, so the applications keep them; every event acknowledged before is
// still in the spool, none dropped; /readyz says why.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { startRelay, type Relay } from '../../src/relay/start-relay.ts'
import { batch, event } from '../support/batch.ts'
import { tempDir, testApp } from '../support/server.ts'

describe('a relay with a full spool', () => {
  const app = testApp('full-app')
  let relay: Relay
  let acked = 0
  let refused: Response | undefined

  beforeAll(async () => {
    // Air-gapped and small: 1 MiB of rows, about 4000.
    const config = loadConfig({ DATA_DIR: join(tempDir('veil-relay-full-'), 'relay'), LOG_LEVEL: 'silent', RELAY_SPOOL_MAX_BYTES: String(2 ** 20), SPOOL_SEGMENT_BYTES: String(64 * 1024), SPOOL_MIN_FREE_BYTES: '0' })
    relay = await startRelay(config, { apps: [app], listen: false })
    for (let i = 0; i < 200 && !refused; i++) {
      const events = Array.from({ length: 100 }, (_, j) => event({ user_id: `u-${j % 10}`, name: 'login' }))
      const res = await relay.app.request('/v1/batch', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch(app.write_keys[0]!, events)) })
      if (res.status === 202) acked += ((await res.json()) as { accepted: number }).accepted
      else refused = res
    }
  }, 60_000)
  afterAll(() => relay?.stop())

  it('refuses new events with 503 and Retry-After once full, and keeps every acknowledged one', async () => {
    expect(refused?.status).toBe(503)
    expect(refused?.headers.get('Retry-After')).toBeTruthy()
    expect(acked).toBeGreaterThan(1000)
    expect(relay.spool.stats().pendingRows).toBe(acked)
    const ready = await relay.app.request('/readyz')
    expect(ready.status).toBe(503)
  })
})
