// Several nodes behind a load balancer, sharing one store: a client's retry that reaches another
// node than its first attempt (whose answer was lost) is stored once, in both write modes, and
// so is a retry that reaches a node after its retry memory forgot the id. Two Veil nodes in one
// process share one embedded store (chDB allows one data directory per process, opened twice).
import { afterAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { expectNoLossNoDuplicateAggregatesAgree } from './support.ts'
import type { WireEvent } from '../../sdk/core/catalog.ts'

const dataDir = tempDir('fault-two-nodes-')
const app = testApp('two-nodes-app')
const nodes: TestServer[] = []
afterAll(async () => {
  for (const n of nodes.reverse()) await n.stop()
})

async function node(env: Record<string, string>): Promise<TestServer> {
  const n = await startTestServer({ dataDir, apps: [app], listen: false, env: { SPOOL_FEED_DELAY_MS: '10', SPOOL_MIN_FREE_BYTES: '0', ...env } })
  nodes.push(n)
  return n
}
const send = (n: TestServer, events: WireEvent[]) => n.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, events)))
/** A node's store-check series from its /metrics text: lookups, ids looked up, ids found stored. */
async function storeCheck(n: TestServer): Promise<{ lookups: number; ids: number; stored: number }> {
  const text = await n.veil.metrics.render()
  const value = (name: string) => Number(new RegExp(`^veil_${name}(?:\\{\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)
  return { lookups: value('store_check_duration_seconds_count'), ids: value('store_check_ids_total'), stored: value('store_check_stored_total') }
}
const batchOf = (size: number) => Array.from({ length: size }, (_, i) => event({ user_id: `user-${i % 5}` }))

describe('two nodes sharing one store', () => {
  it('store a retry that reaches the other node once, in direct and in spool mode', async () => {
    const a = await node({ WRITE_MODE: 'direct' })
    const b = await node({ WRITE_MODE: 'direct' })
    const c = await node({ WRITE_MODE: 'spool', SPOOL_DIR: tempDir('fault-two-nodes-spool-') })
    const acked = new Set<string>()
    for (let round = 0; round < 5; round++) {
      const events = batchOf(40)
      // First attempt on one node; its answer is lost, so the client retries on the others.
      const first = [a, b, c][round % 3]!
      expect((await send(first, events)).status).toBe(202)
      await first.veil.writer.flush()
      for (const other of [a, b, c].filter((n) => n !== first)) {
        const r = await send(other, events)
        expect(r.status).toBe(202)
        await other.veil.writer.flush()
      }
      for (const e of events) acked.add(e.id)
    }
    await expectNoLossNoDuplicateAggregatesAgree(a.veil.storage.client, app.id, acked)
    // The direct nodes' lookups are counted for operators (docs/operations.md "Several nodes"):
    // each of the four rounds a direct node went first, the other direct node found its 40 ids.
    const [ma, mb] = [await storeCheck(a), await storeCheck(b)]
    expect(ma.stored + mb.stored).toBeGreaterThanOrEqual(4 * 40)
    expect(ma.ids + mb.ids).toBeGreaterThanOrEqual(ma.stored + mb.stored)
    expect(ma.lookups).toBeGreaterThan(0)
    expect(mb.lookups).toBeGreaterThan(0)
  }, 120_000)

  it('store a retry once when the receiving node has no memory of it (DEDUP_WINDOW_IDS=0)', async () => {
    const forgetful = await node({ WRITE_MODE: 'direct', DEDUP_WINDOW_IDS: '0' })
    const events = batchOf(30)
    // Retried in other company each time (an SDK's queue grows), so no insert token repeats.
    const attempts = [events, [...events, ...batchOf(5)], [...events.slice(10), ...batchOf(5)]]
    const acked = new Set<string>()
    for (const attempt of attempts) {
      expect((await send(forgetful, attempt)).status).toBe(202)
      for (const e of attempt) acked.add(e.id)
    }
    await expectNoLossNoDuplicateAggregatesAgree(forgetful.veil.storage.client, app.id, acked)
  })
})
