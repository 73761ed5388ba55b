// The store check with the filter of stored ids loaded (stored-ids.ts, stored-ids-filter.ts):
// after a restart the filter is filled from recent_event_ids, so a retry of an event stored
// before it is still stored once, with the retry memory off (DEDUP_WINDOW_IDS=0) in both write
// modes; an insert through another Storage on the same engine (another node in this process)
// is known to the filter too. Real chDB, real migrations, the server's own paths.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { expectNoLossNoDuplicateAggregatesAgree } from '../faults/support.ts'
import type { WireEvent } from '../../sdk/core/catalog.ts'

const app = testApp('filter-app')
const running: TestServer[] = []
afterEach(async () => {
  for (const s of running.splice(0).reverse()) await s.stop()
})

// The engine's clock decides which rows enter recent_event_ids (sql/0033), and it is the real
// wall clock even where this process's Date is moved (npm run test:clock): the servers stamp
// received_at with it too. performance.now() is not moved.
const wallClock = () => Math.round(performance.timeOrigin + performance.now())

async function start(dataDir: string, env: Record<string, string>): Promise<TestServer> {
  const s = await startTestServer({ dataDir, apps: [app], listen: false, now: wallClock, env: { SPOOL_FEED_DELAY_MS: '10', SPOOL_MIN_FREE_BYTES: '0', DEDUP_WINDOW_IDS: '0', ...env } })
  running.push(s)
  await vi.waitUntil(() => s.veil.storage.storedIds?.filter.loaded, { timeout: 30_000, interval: 20 })
  return s
}
const send = async (s: TestServer, events: WireEvent[]) => {
  expect((await s.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, events)))).status).toBe(202)
  await s.veil.writer.flush()
}
const some = (n: number) => Array.from({ length: n }, (_, i) => event({ user_id: `user-${i % 4}` }))

describe.each(['spool', 'direct'])('the store check with the filter loaded, %s mode', (mode) => {
  it('stores a retry of an event stored before a restart once, and the new events of the same batch', async () => {
    const dataDir = tempDir('filter-restart-')
    const env = { WRITE_MODE: mode, SPOOL_DIR: `${dataDir}/spool` }
    const before = some(40)
    const first = await start(dataDir, env)
    await send(first, before)
    await running.pop()!.stop()

    const again = await start(dataDir, env)
    const filter = again.veil.storage.storedIds!.filter
    // Loaded from recent_event_ids: every id stored before the restart may be held ...
    expect(filter.probable(before.map((e) => e.id))).toHaveLength(40)
    // ... and nearly no other.
    expect(filter.probable(some(200).map((e) => e.id)).length).toBeLessThan(10)
    const fresh = some(25)
    await send(again, [...before.slice(10, 30), ...fresh])
    await send(again, [...fresh.slice(0, 5), ...before.slice(0, 3)])
    await expectNoLossNoDuplicateAggregatesAgree(again.veil.storage.client, app.id, [...before, ...fresh].map((e) => e.id))
  }, 120_000)

  it('knows what another node in this process stored on the same engine', async () => {
    const dataDir = tempDir('filter-two-')
    const a = await start(dataDir, { WRITE_MODE: mode, SPOOL_DIR: `${dataDir}/spool-a` })
    const b = await start(dataDir, { WRITE_MODE: mode, SPOOL_DIR: `${dataDir}/spool-b` })
    expect(b.veil.storage.storedIds).toBe(a.veil.storage.storedIds)
    const events = some(30)
    await send(a, events)
    await send(b, events)
    await send(a, events.slice(5, 15))
    await expectNoLossNoDuplicateAggregatesAgree(a.veil.storage.client, app.id, events.map((e) => e.id))
  }, 120_000)
})
