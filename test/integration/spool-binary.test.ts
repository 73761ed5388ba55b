// RowBinary spool frames against real chDB and the real migrations: the codec's types are the
// table's, RowBinary through file() stores what JSON stores and keeps the insert token's
// deduplication, and a RowBinary row the engine refuses is isolated and dead-lettered as JSON
// (spool-upgrade.test.ts: a spool of JSON frames fed after an upgrade).
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { openSpool } from '../../src/storage/spool/spool.ts'
import { readDeadLetters } from '../../src/storage/spool/dead-letter-file.ts'
import { encodeRows, type RowsFormat } from '../../src/storage/rows/rows-format.ts'
import { EVENT_BINARY_TYPES, EVENT_ROWS, EVENT_STRUCTURE } from '../../src/storage/rows/event-rows.ts'
import { quoteSql } from '../../src/storage/clickhouse/file-insert.ts'
import { createStoredIds } from '../../src/storage/dedup/stored-ids.ts'
import { EVENT_COLUMNS, type EventRow } from '../../src/pipeline/types.ts'
import { expectNoLossNoDuplicateAggregatesAgree, idsOf, rows, storedCounts } from '../faults/support.ts'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer({ listen: false })
})
afterAll(() => s?.stop())

const settings = (token: string): Record<string, string | number> => ({ insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 })
const insert = (body: Buffer, token: string, format: RowsFormat) => s.veil.storage.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format, body, settings: settings(token) })

describe('the events table in RowBinary', () => {
  it('has the codec’s columns and types, in order', async () => {
    const cols = await s.query<{ name: string; type: string }>("SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'events' ORDER BY position")
    expect(cols.map((c) => c.name)).toEqual([...EVENT_COLUMNS])
    const plain = cols.map((c) => c.type.replace(/LowCardinality\((String)\)/g, '$1'))
    expect(EVENT_STRUCTURE).toBe(cols.map((c, i) => `${c.name} ${plain[i]}`).join(', '))
    expect(plain.map((t) => t.replace("DateTime64(3, 'UTC')", 'DateTime64(3)'))).toEqual([...EVENT_BINARY_TYPES])
  })

  it('stores through file() what JSON stores, non-ASCII and maps included', async () => {
    const base = rows(5, 'rb-json')
    base[1]![9] = { path: '/ü/🎉', q: 'x'.repeat(500) }
    base[2]![10] = { ms: 12.25, n: -3 }
    base[3]![2] = 'naïve name'
    const asBinary = base.map((r) => ['rb-binary', ...r.slice(1)] as EventRow)
    await insert(encodeRows(base), 'rb-eq-json', 'JSONCompactEachRow')
    await insert(EVENT_ROWS.encode(asBinary), 'rb-eq-binary', 'RowBinary')
    const stored = await s.query<{ app_id: string; rows: string[] }>(
      "SELECT app_id, groupArray(toString(tuple(* EXCEPT app_id))) AS rows FROM (SELECT * FROM events WHERE app_id IN ('rb-json', 'rb-binary') ORDER BY event_id) GROUP BY app_id ORDER BY app_id",
    )
    expect(stored).toHaveLength(2)
    expect(stored[0]!.rows).toHaveLength(5)
    expect(stored[0]!.rows).toEqual(stored[1]!.rows)
  })

  it('keeps the insert token: the same body and token twice is stored once, in events and the aggregates', async () => {
    const r = rows(40, 'rb-dedup')
    const body = EVENT_ROWS.encode(r)
    await insert(body, 'rb-dedup-token', 'RowBinary')
    await insert(body, 'rb-dedup-token', 'RowBinary')
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, 'rb-dedup', idsOf(r))
  })
})

describe('a RowBinary row the engine refuses', () => {
  it('is isolated and dead-lettered as a JSON line; the rows around it are stored once', async () => {
    const dir = tempDir('rb-poison-')
    const appId = 'rb-poison'
    const dead: unknown[][] = []
    let n = 0
    // The real door, with a condition the engine checks per row: a row named 'refuse-me' fails
    // the whole insert with code 395 (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO), a data error.
    const refusingInsert = async (body: Buffer, _rows: number, token: string, _first?: boolean, format?: RowsFormat) => {
      expect(format).toBe('RowBinary')
      const path = join(dir, `feed-${++n}.bin`)
      writeFileSync(path, body)
      await s.veil.storage.client.command({
        query: `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) SELECT * FROM file(${quoteSql(path)}, 'RowBinary', ${quoteSql(EVENT_STRUCTURE)}) WHERE NOT throwIf(name = 'refuse-me', 'refused')`,
        clickhouse_settings: settings(token),
      })
    }
    const spool = await openSpool({
      dir, maxBytes: 8 * 2 ** 20, segmentBytes: 2 ** 20, insertRows: 10_000, feedDelayMs: 20, retryMs: 50,
      insert: refusingInsert,
      onDeadLetter: (deadRows) => dead.push(...deadRows),
    })
    const before = rows(200, appId)
    const bad = rows(1, appId)[0]!
    bad[2] = 'refuse-me'
    const after = rows(200, appId)
    await spool.append(EVENT_ROWS.encode(before), before.length, 'RowBinary')
    await spool.append(EVENT_ROWS.encode([...rows(25, appId), bad, ...rows(24, appId)]), 50, 'RowBinary')
    await spool.append(EVENT_ROWS.encode(after), after.length, 'RowBinary')
    await spool.drain()
    expect(dead).toEqual([bad])
    expect(spool.stats().deadLetteredRows).toBe(1)
    const file = readDeadLetters(dir)
    expect(file).toHaveLength(1)
    expect(JSON.parse(file[0]!.row)).toEqual(bad)
    expect(file[0]!.reason).toMatch(/refused/)
    const stored = await storedCounts(s.veil.storage.client, appId)
    expect(stored.has(bad[1])).toBe(false)
    expect(stored.size).toBe(200 + 49 + 200)
    expect([...stored.values()].every((c) => c === 1)).toBe(true)
    await spool.close(1000)
  })
})

describe('the stored-ids lookup of a large feed', () => {
  it('finds every stored id among more ids than one lookup query takes (5,000), and none of the others', async () => {
    // recent_event_ids keeps ids received within the engine's last hours (sql/0033): the rows are
    // stamped with the engine's clock, so the lookup is tested even when the process clock is not.
    const [{ now }] = await s.query<{ now: string }>('SELECT toUnixTimestamp64Milli(now64(3)) AS now')
    const r = rows(12_000, 'rb-lookup').map((row) => Object.assign(row, { 4: Number(now) }))
    await insert(EVENT_ROWS.encode(r), 'rb-lookup-token', 'RowBinary')
    const fresh = rows(7, 'rb-lookup').map((x) => x[1])
    const found = await createStoredIds(s.veil.storage.client)([...fresh.slice(0, 3), ...idsOf(r), ...fresh.slice(3)])
    expect(found.size).toBe(12_000)
    expect(idsOf(r).every((id) => found.has(id))).toBe(true)
    expect(fresh.some((id) => found.has(id))).toBe(false)
  })
})
