// The stored-ids check inside the insert (file-insert.ts, docs/durability.md "several nodes"):
// on the embedded engine a spool range's first attempt drops the events stored already, in the
// RowBinary insert itself. Real chDB, real migrations, the server's own spool insert. Rows are
// stamped with the engine's clock: its now64() decides what enters recent_event_ids (sql/0033).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, type TestServer } from '../support/server.ts'
import { EVENT_ROWS, EVENT_STRUCTURE } from '../../src/storage/rows/event-rows.ts'
import { createFileDoor, notStored, quoteSql, storedIdsSource } from '../../src/storage/clickhouse/file-insert.ts'
import { eventIdBytes } from '../../src/storage/rows/rows-format.ts'
import { EVENT_COLUMNS, type EventRow } from '../../src/pipeline/types.ts'
import type { SpoolInsertFn } from '../../src/boot/start-veil.ts'
import { aggregateMismatches, idsOf, rows, storedCounts } from '../faults/support.ts'

let s: TestServer
let spoolInsert!: SpoolInsertFn
beforeAll(async () => {
  s = await startTestServer({
    listen: false,
    // Without the filter of stored ids (stored-ids-filter.test.ts), so that every first attempt
    // takes the check inside the insert whether or not a filter would have loaded by then.
    env: { WRITE_MODE: 'spool', SPOOL_DIR: tempDir('stored-check-spool-'), SPOOL_FEED_DELAY_MS: '10', SPOOL_MIN_FREE_BYTES: '0', STORED_IDS_FILTER_BYTES: '0' },
    // The server's spool insert itself, to call with `first` as the spool does.
    wrapSpoolInsert: (insert) => (spoolInsert = insert),
  })
})
afterAll(() => s?.stop())

const engineNow = async () => Number((await s.query<{ now: string }>('SELECT toUnixTimestamp64Milli(now64(3)) AS now'))[0]!.now)
/** Rows received now by the engine's clock (or `agoMs` before it). */
const fresh = async (count: number, app: string, agoMs = 0): Promise<EventRow[]> => {
  const at = (await engineNow()) - agoMs
  return rows(count, app).map((r) => Object.assign(r, { 3: at, 4: at }))
}
/** An insert with its own token, as another node's or an earlier feed's. */
const storeElsewhere = (r: EventRow[], token: string) =>
  s.veil.storage.insertRaw({
    table: 'events', columns: EVENT_COLUMNS, format: 'RowBinary', body: EVENT_ROWS.encode(r),
    settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
  })
const counts = (app: string) => storedCounts(s.veil.storage.client, app)

describe('a spool range’s first attempt on the embedded engine', () => {
  it('drops the events another insert stored, keeps the rest, and counts the range as fed', async () => {
    const app = 'sc-first'
    const earlier = await fresh(30, app)
    await storeElsewhere(earlier, 'sc-first-elsewhere')
    const now = await fresh(50, app)
    const range = [...now.slice(0, 20), ...earlier.slice(0, 10), ...now.slice(20), ...earlier.slice(25)]
    const before = s.veil.spool!.stats()
    await s.veil.spool!.append(EVENT_ROWS.encode(range), range.length, 'RowBinary')
    await s.veil.writer.flush()
    const stored = await counts(app)
    expect(stored.size).toBe(80)
    expect([...stored.values()].every((c) => c === 1)).toBe(true)
    expect(await aggregateMismatches(s.veil.storage.client, app)).toEqual([])
    // The spool counts the rows of the ranges it fed: those found stored already too (they are
    // in ClickHouse), as before the check moved into the insert; nothing is lost or failed.
    const after = s.veil.spool!.stats()
    expect(after.insertedRows - before.insertedRows).toBe(range.length)
    expect(after.failedInserts - before.failedInserts).toBe(0)
    expect(after.deadLetteredRows - before.deadLetteredRows).toBe(0)
    expect(s.veil.writer.stats().rowsWritten).toBe(after.insertedRows)
  })

  it('inserts nothing, and does not fail, when every event is stored already', async () => {
    const app = 'sc-all-stored'
    const earlier = await fresh(40, app)
    await storeElsewhere(earlier, 'sc-all-elsewhere')
    await spoolInsert(EVENT_ROWS.encode(earlier), earlier.length, 'sc-all-first', true, 'RowBinary')
    const stored = await counts(app)
    expect(stored.size).toBe(40)
    expect([...stored.values()].every((c) => c === 1)).toBe(true)
    expect(await aggregateMismatches(s.veil.storage.client, app)).toEqual([])
  })

  it('keeps its token: a retry of the range (first = false) with it stores nothing more', async () => {
    const app = 'sc-retry-same-token'
    const earlier = await fresh(10, app)
    await storeElsewhere(earlier, 'sc-retry-elsewhere')
    const body = EVENT_ROWS.encode([...(await fresh(30, app)), ...earlier])
    await spoolInsert(body, 40, 'sc-retry-token', true, 'RowBinary')
    await spoolInsert(body, 40, 'sc-retry-token', false, 'RowBinary')
    const stored = await counts(app)
    expect(stored.size).toBe(40)
    expect([...stored.values()].every((c) => c === 1)).toBe(true)
    expect(await aggregateMismatches(s.veil.storage.client, app)).toEqual([])
  })

  it('is the only attempt filtered: a re-sent range (first = false) goes in as it was', async () => {
    const app = 'sc-not-first'
    const earlier = await fresh(10, app)
    await storeElsewhere(earlier, 'sc-not-first-elsewhere')
    const later = await fresh(15, app)
    await spoolInsert(EVENT_ROWS.encode([...later, ...earlier]), 25, 'sc-not-first-range', false, 'RowBinary')
    const stored = await counts(app)
    expect(idsOf(later).map((id) => stored.get(id))).toEqual(later.map(() => 1))
    // Not looked up: the re-sent range's token must keep meaning the same rows.
    expect(idsOf(earlier).map((id) => stored.get(id))).toEqual(earlier.map(() => 2))
  })

  it('does not drop an event received before recent_event_ids’ window (two hours): it is stored again, as before', async () => {
    const app = 'sc-old'
    const old = await fresh(12, app, 3 * 3600_000)
    await storeElsewhere(old, 'sc-old-elsewhere')
    const [{ n }] = await s.query<{ n: string }>('SELECT count() AS n FROM recent_event_ids WHERE has({ids:Array(UUID)}, event_id)', { ids: idsOf(old) })
    expect(Number(n)).toBe(0)
    const again = old.map((r) => [...r] as EventRow)
    await spoolInsert(EVENT_ROWS.encode(again), again.length, 'sc-old-again', true, 'RowBinary')
    const stored = await counts(app)
    expect([...stored.values()]).toEqual(old.map(() => 2))
  })

  it('is not made with DEDUP_STORE_CHECK=false: stored events go in again', async () => {
    const app = 'sc-check-off'
    let offInsert!: SpoolInsertFn
    // A second node on the same store (chDB opens one data directory per process, shared).
    const off = await startTestServer({
      dataDir: s.dataDir, listen: false,
      env: { WRITE_MODE: 'spool', SPOOL_DIR: tempDir('stored-check-off-'), SPOOL_FEED_DELAY_MS: '10', SPOOL_MIN_FREE_BYTES: '0', DEDUP_STORE_CHECK: 'false' },
      wrapSpoolInsert: (insert) => (offInsert = insert),
    })
    try {
      const earlier = await fresh(10, app)
      await storeElsewhere(earlier, 'sc-check-off-elsewhere')
      await offInsert(EVENT_ROWS.encode(earlier), earlier.length, 'sc-check-off-first', true, 'RowBinary')
      expect([...(await counts(app)).values()]).toEqual(earlier.map(() => 2))
    } finally {
      await off.stop()
    }
  })

  it('isolates a row the engine refuses; the rows around it are stored once', async () => {
    const app = 'sc-poison'
    // A condition the engine checks per row, for this store only: refused with code 469, a data error.
    await s.veil.storage.client.command({ query: "ALTER TABLE events ADD CONSTRAINT sc_refuse CHECK name != 'sc-refuse-me'" })
    try {
      const earlier = await fresh(5, app)
      await storeElsewhere(earlier, 'sc-poison-elsewhere')
      const good = await fresh(60, app)
      const bad = (await fresh(1, app))[0]!
      bad[2] = 'sc-refuse-me'
      const before = s.veil.spool!.stats()
      const range = [...good.slice(0, 30), bad, ...good.slice(30)]
      await s.veil.spool!.append(EVENT_ROWS.encode(range), range.length, 'RowBinary')
      await s.veil.writer.flush()
      expect(s.veil.spool!.stats().deadLetteredRows - before.deadLetteredRows).toBe(1)
      const stored = await counts(app)
      expect(stored.has(bad[1])).toBe(false)
      expect(idsOf([...good, ...earlier]).map((id) => stored.get(id))).toEqual([...good, ...earlier].map(() => 1))
    } finally {
      await s.veil.storage.client.command({ query: 'ALTER TABLE events DROP CONSTRAINT sc_refuse' })
    }
  })
})

describe('the lookup inside the insert', () => {
  // The ids read from the body's file a second time, or from a second file of all of them (checkIds).
  it.each(['same-file', 'ids-file'] as const)('drops the stored rows with the ids read %s, through the door alone', async (how) => {
    const app = `sc-door-${how}`
    const door = createFileDoor(s.veil.storage.client, tempDir(`stored-check-door-${how}-`))
    const earlier = await fresh(20, app)
    await storeElsewhere(earlier, `sc-door-${how}-elsewhere`)
    const later = await fresh(30, app)
    const body = EVENT_ROWS.encode([...earlier.slice(0, 5), ...later, ...earlier.slice(5)])
    const checkIds = how === 'ids-file' ? { checkIds: eventIdBytes(body) } : {}
    await door.insert({ table: 'events', columns: EVENT_COLUMNS, body, rows: 50, settings: { insert_deduplication_token: `sc-door-${how}` }, skipStored: true, ...checkIds })
    const stored = await counts(app)
    expect(stored.size).toBe(50)
    expect([...stored.values()].every((c) => c === 1)).toBe(true)
  })

  it('is refused for a JSON body, with a clear error (JSON frames are looked up first)', async () => {
    const insert = s.veil.storage.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format: 'JSONCompactEachRow', body: Buffer.from('[]\n'), settings: {}, skipStored: true })
    await expect(insert).rejects.toThrow(/takes RowBinary, not JSONCompactEachRow/)
    expect(s.veil.storage.skipsStoredIn('JSONCompactEachRow')).toBe(false)
    expect(s.veil.storage.skipsStoredIn('RowBinary')).toBe(true)
  })

  it('reads recent_event_ids by its primary key: a few ids select a few granules, not the table', async () => {
    const many = await fresh(100_000, 'sc-explain-fill')
    await storeElsewhere(many, 'sc-explain-fill')
    // The door's own condition over a body of three rows (two stored, one new), its ids read
    // either way (file-insert.ts, createFileDoor).
    const dir = tempDir('stored-check-ids-')
    const body = EVENT_ROWS.encode([...many.slice(0, 2), ...(await fresh(1, 'sc-explain'))])
    writeFileSync(join(dir, 'body.bin'), body)
    writeFileSync(join(dir, 'ids.bin'), eventIdBytes(body))
    const source = `file(${quoteSql(join(dir, 'body.bin'))}, 'RowBinary', ${quoteSql(EVENT_STRUCTURE)})`
    for (const ids of [source, storedIdsSource(join(dir, 'ids.bin'))]) {
      const rs = await s.veil.storage.client.query({ query: `EXPLAIN indexes = 1 SELECT * FROM ${source} WHERE ${notStored(ids)}`, format: 'TabSeparatedRaw' })
      const plan = await rs.text()
      const key = plan.slice(plan.indexOf('PrimaryKey'))
      expect(key).toMatch(/Condition: \(event_id in 3-element set\)/)
      const [, selected, total] = /Granules: (\d+)\/(\d+)/.exec(key)!.map(Number)
      expect(total).toBeGreaterThanOrEqual(12)
      expect(selected).toBeLessThanOrEqual(3)
    }
  })
})
