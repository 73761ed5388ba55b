// Calls into the embedded engine wait their turn in Veil, not on Node's thread pool
// (src/storage/clickhouse/engine-gate.ts). The engine runs one call at a time, and a call waiting
// inside it holds a pool thread; with more queries queued than the pool has threads, a file
// operation (as the spool's writes and syncs are) waited until the queries ahead of it had run.
// Inserts go ahead of waiting queries, so a dashboard does not hold back the feeds.
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { tempDir } from '../support/server.ts'

let storage: Storage
let dir: string
beforeAll(async () => {
  dir = join(tempDir('engine-gate-'), 'ch')
  storage = await openStorage(loadConfig({ DATA_DIR: dir }))
})
afterAll(() => storage?.close())

describe('the embedded engine under a queue of queries', () => {
  it('leaves the thread pool to file operations while twenty queries wait for the engine', async () => {
    // More queries than any thread pool a run is given (UV_THREADPOOL_SIZE: 4 by default, 16 by
    // `npm start`), each long enough (tens of ms) that a stat of a few µs cannot lose to one.
    const QUERIES = 20
    let finished = 0
    const queries = Array.from({ length: QUERIES }, (_, i) =>
      storage.client
        .query({ query: `SELECT sum(cityHash64(number + ${i})) AS s FROM numbers(40000000)`, format: 'JSONEachRow' })
        .then((r) => r.json<{ s: string }>())
        .then((rows) => {
          finished++
          return rows
        }),
    )
    // Every query has gone to the connection before the file operation starts.
    await new Promise((r) => setImmediate(r))
    const finishedAtStat = await stat(dir).then(() => finished)
    expect(finishedAtStat).toBe(0)
    const all = await Promise.all(queries)
    expect(finished).toBe(QUERIES)
    expect(new Set(all.map((rows) => rows[0]!.s)).size).toBe(QUERIES)
  })

  it('stores an insert queued behind twenty queries before all but the two let in ahead of it are answered', async () => {
    await storage.client.command({ query: 'CREATE TABLE gate_rows (n UInt32) ENGINE = MergeTree ORDER BY n' })
    const QUERIES = 20
    let finished = 0
    const queries = Array.from({ length: QUERIES }, (_, i) =>
      storage.client
        .query({ query: `SELECT sum(cityHash64(number + ${i})) AS s FROM numbers(20000000)`, format: 'JSONEachRow' })
        .then((r) => r.json())
        .then(() => void finished++),
    )
    await new Promise((r) => setImmediate(r))
    const finishedAtInsert = await storage.client.insert({ table: 'gate_rows', values: [{ n: 1 }, { n: 2 }], format: 'JSONEachRow' }).then(() => finished)
    // Two queries were in the engine's slots when the insert came; the other eighteen waited.
    expect(finishedAtInsert).toBeLessThanOrEqual(2)
    await Promise.all(queries)
    const rows = await (await storage.client.query({ query: 'SELECT count() AS c FROM gate_rows', format: 'JSONEachRow' })).json<{ c: string }>()
    expect(Number(rows[0]!.c)).toBe(2)
  })
})
