// F6, F12, F13: the aggregates agree with the events table whatever is re-sent. A block re-sent
// with its token (a spool replay, a retry) is dropped by the views as by events; one whose first
// attempt reached events but not the views (a crash between them, made here by detaching the
// views) fills them when re-sent; in direct mode, where a client's retry is not re-inserted, the
// start-up repair recomputes the days; and an insert that commits and then reports a failure
// (store failing after commit) is re-sent with the same token while clients retry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { encodeRows } from '../../src/storage/rows/rows-format.ts'
import { EVENT_COLUMNS, type EventRow } from '../../src/pipeline/types.ts'
import { repairAggregates, REPAIR_LOOKBACK_MS } from '../../src/storage/schema/repair-aggregates.ts'
import { openRunMarker } from '../../src/storage/schema/run-marker.ts'
import type { InsertFn } from '../../src/boot/start-veil.ts'
import { aggregateMismatches, expectNoLossNoDuplicateAggregatesAgree, idsOf, rows } from './support.ts'

const app = testApp('agg-app')
let s: TestServer
/** Commits, then throws: the store failed after the table committed (F6). */
let failAfterCommit = 0
const flaky = (insert: InsertFn): InsertFn => async (r, token) => {
  await insert(r, token)
  if (failAfterCommit > 0) {
    failAfterCommit--
    throw new Error('Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space')
  }
}

beforeAll(async () => {
  s = await startTestServer({ apps: [app], listen: false, wrapInsert: flaky, env: { WRITE_MODE: 'direct', WRITER_TIMEOUT_MS: '2000', WRITER_RETRY_MS: '100' } })
})
afterAll(() => s?.stop())

const insertWith = (r: EventRow[], token: string) =>
  s.veil.storage.insertRaw({
    table: 'events', columns: EVENT_COLUMNS, format: 'JSONCompactEachRow', body: encodeRows(r),
    settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
  })
const client = () => s.veil.storage.client
const views = async () =>
  (await s.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'")).map((v) => v.name)

describe('aggregates agree with events', () => {
  it('when the same rows are inserted again with the same token (F12: a replay of rows already inserted)', async () => {
    const appId = 'f12'
    const r = rows(500, appId)
    for (let i = 0; i < 3; i++) await insertWith(r, 'f12-token')
    await expectNoLossNoDuplicateAggregatesAgree(client(), appId, idsOf(r))
  })

  it('when an insert reached events but not the views, once it is re-sent with its token (F13, spool replay)', async () => {
    const appId = 'f13-spool'
    const r = rows(400, appId)
    const mvs = await views()
    for (const v of mvs) await client().command({ query: `DETACH TABLE ${v}` })
    try {
      await insertWith(r, 'f13-token')
    } finally {
      for (const v of mvs) await client().command({ query: `ATTACH TABLE ${v}` })
    }
    expect(await aggregateMismatches(client(), appId)).not.toEqual([])
    await insertWith(r, 'f13-token') // what the spool's replay of its intent range does
    await expectNoLossNoDuplicateAggregatesAgree(client(), appId, idsOf(r))
  })

  it('when a crash cut an insert between events and the views in direct mode, after the start-up repair (F13)', async () => {
    const appId = 'f13-direct'
    const r = rows(300, appId)
    const mvs = await views()
    for (const v of mvs) await client().command({ query: `DETACH TABLE ${v}` })
    try {
      await insertWith(r, 'f13-direct-token')
    } finally {
      for (const v of mvs) await client().command({ query: `ATTACH TABLE ${v}` })
    }
    expect(await aggregateMismatches(client(), appId)).not.toEqual([])
    // The crashed run never cleared its marker; the next start finds it and repairs.
    const dir = tempDir('marker-')
    expect(openRunMarker(dir).crashedAliveAt).toBeUndefined()
    const marker = openRunMarker(dir)
    expect(marker.crashedAliveAt).toBeGreaterThan(Date.now() - 60_000)
    const repaired = await repairAggregates(client(), marker.crashedAliveAt! - REPAIR_LOOKBACK_MS)
    expect(repaired.tables).toContain('agg_events_daily')
    expect(repaired.tables.length).toBe(mvs.filter((v) => v.startsWith('agg_')).length)
    marker.clear()
    await expectNoLossNoDuplicateAggregatesAgree(client(), appId, idsOf(r))
    // Other apps' days are recomputed to the same values: nothing else changed.
    expect(await aggregateMismatches(client(), 'f12')).toEqual([])
  })

  it('when the store fails after committing and clients retry (F6): stored once, aggregates agree', async () => {
    const key = app.write_keys[0]!
    const events = Array.from({ length: 8 }, () => Array.from({ length: 50 }, (_, i) => event({ user_id: `user-${i % 7}` })))
    failAfterCommit = 3
    const acked = new Set<string>()
    // Clients retry each batch until it is acknowledged (bounded).
    await Promise.all(events.map(async (b) => {
      for (let i = 0; i < 50; i++) {
        const res = await s.veil.app.request('/v1/batch', post(batch(key, b)))
        if (res.status === 202) {
          for (const e of b) acked.add(e.id)
          return
        }
        await new Promise((r) => setTimeout(r, 50))
      }
    }))
    expect(acked.size).toBe(400)
    expect(s.veil.writer.stats().retries).toBeGreaterThan(0)
    await expectNoLossNoDuplicateAggregatesAgree(client(), app.id, acked)
  })
})
