// A relay whose spool fills with RELAY_SPOOL_FULL=drop-oldest (docs/relay.md "When the spool is
// full"): with the uplink away, new events keep being accepted (202), the oldest rows not being
// forwarded are dropped, counted and logged by count only; after a restart they are not replayed
// and no damage is counted; once the uplink is back, exactly the kept rows are stored centrally, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashKey, randomKey } from '../../src/apps/apps.ts'
import { loadConfig, type Config } from '../../src/config.ts'
import { startRelay, type Relay } from '../../src/relay/start-relay.ts'
import { batch, event } from '../support/batch.ts'
import { startCutProxy, type CutProxy } from '../support/cut-proxy.ts'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { until } from '../support/until.ts'

/** Batches of 100 events sent with the uplink away: about 3 MB of rows (about 100 bytes each) into 1 MiB. */
const BATCHES = 300
const droppedIn = async (relay: Relay) => Number(/^veil_relay_dropped_rows_total (\d+)$/m.exec(await relay.metrics.render())?.[1] ?? 0)

describe('a relay that drops its oldest rows when its spool is full', () => {
  const app = testApp('drop-app')
  const relayKey = randomKey('rl')
  const logs: string[] = []
  const logDestination = { write: (l: string) => void logs.push(l) }
  let central: TestServer
  let proxy: CutProxy
  let config: Config
  let relay: Relay
  const acked: string[] = []
  /** Counted by the relay before its restart, and by the restarted one (still full: it drops again). */
  let dropped = 0
  let droppedAfter = 0
  let pendingAtStop = 0
  let afterRestart: ReturnType<Relay['spool']['stats']>
  let readyWhenFull = 0

  const send = async (count: number) => {
    const events = Array.from({ length: count }, (_, j) => event({ user_id: `u-${j % 10}`, name: 'login' }))
    const res = await relay.app.request('/v1/batch', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch(app.write_keys[0]!, events)) })
    expect(res.status).toBe(202)
    const answer = (await res.json()) as { accepted: number }
    // The whole answer on a mismatch: which event was not accepted, and why.
    expect(answer).toMatchObject({ accepted: count })
    acked.push(...events.map((e) => e.id))
  }

  beforeAll(async () => {
    proxy = await startCutProxy()
    central = await startTestServer({ apps: [app], relays: [{ id: 'site-drop', keys: [hashKey(relayKey)], apps: [app.id] }] })
    // 1 MiB of rows, forwards of 100 rows sent at once: the first is in flight when the spool fills.
    config = loadConfig({
      DATA_DIR: tempDir('veil-relay-drop-'), LOG_LEVEL: 'warn', RELAY_CENTRAL_URL: central.url, RELAY_KEY: relayKey, HTTPS_PROXY: proxy.url,
      RELAY_SPOOL_MAX_BYTES: String(2 ** 20), SPOOL_SEGMENT_BYTES: String(64 * 1024), SPOOL_MIN_FREE_BYTES: '0', RELAY_SPOOL_FULL: 'drop-oldest',
      RELAY_FORWARD_ROWS: '100', RELAY_FORWARD_DELAY_MS: '0', RELAY_BACKOFF_MAX_MS: '200',
    })
    relay = await startRelay(config, { apps: [app], listen: false, logDestination })
    await send(100)
    await until(() => proxy.refused >= 1, 20_000, 'the first forward refused')
    for (let i = 1; i < BATCHES; i++) await send(100)
    dropped = await droppedIn(relay)
    pendingAtStop = relay.spool.stats().pendingRows
    readyWhenFull = (await relay.app.request('/readyz')).status
    expect(relay.spool.stats().pendingBytes).toBeLessThanOrEqual(2 ** 20)
    await relay.stop()
    // Restarted with the uplink still away, then restored.
    relay = await startRelay(config, { apps: [app], listen: false, logDestination })
    afterRestart = relay.spool.stats()
    await send(100)
    droppedAfter = await droppedIn(relay)
    proxy.cut = false
    await until(() => relay.spool.stats().pendingRows === 0, 30_000, 'the relay forwarded what it kept')
  }, 120_000)

  afterAll(async () => {
    await relay?.stop()
    await central?.stop()
    await proxy?.close()
  })

  it('accepts every event once full, and counts the oldest rows it dropped, by count only in the log', () => {
    expect(acked.length).toBe(BATCHES * 100 + 100)
    expect(dropped).toBeGreaterThan(BATCHES * 100 / 2)
    expect(pendingAtStop).toBe(BATCHES * 100 - dropped)
    const lines = logs.filter((l) => l.includes('oldest rows were dropped'))
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.reduce((n, l) => n + (JSON.parse(l) as { dropped: number }).dropped, 0)).toBe(dropped + droppedAfter)
    expect(lines.filter((l) => acked.some((id) => l.includes(id)))).toEqual([])
  })

  it('stays ready while full: it takes new events', () => {
    expect(readyWhenFull).toBe(200)
  })

  it('replays only the kept rows after a restart and counts no damage', () => {
    expect(afterRestart).toMatchObject({ replayedRows: pendingAtStop, corruptSegments: 0, corruptRows: 0, corruptBytes: 0, damagedSegments: 0 })
  })

  it('stores exactly the kept rows centrally, once each, and never a dropped one', async () => {
    const rows = await central.query<{ id: string; n: string }>("SELECT toString(event_id) AS id, count() AS n FROM events WHERE app_id = 'drop-app' GROUP BY id")
    expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([])
    const stored = new Set(rows.map((r) => r.id))
    const missing = acked.filter((id) => !stored.has(id))
    expect(rows.length).toBe(acked.length - dropped - droppedAfter)
    // The dropped rows are one run of the oldest, right after the first forward (in flight when
    // the spool filled, and replayed in flight after the restart, so kept); every later one, and
    // the batch sent after the restart, arrived.
    expect(missing).toEqual(acked.slice(100, 100 + dropped + droppedAfter))
    expect(stored.has(acked.at(-1)!)).toBe(true)
  })
})
