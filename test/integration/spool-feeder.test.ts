// The spool's feeder when its directory or its life changes under it, against a real ClickHouse
// (chDB, real migrations): a segment deleted from under it is reported and skipped instead of
// holding up every later segment forever, and a closed spool starts no insert afterwards.
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { until } from '../support/compat.ts'
import { openSpool, type SpoolOptions } from '../../src/storage/spool/spool.ts'
import { encodeRows } from '../../src/storage/rows/rows-format.ts'
import { segmentName } from '../../src/storage/spool/layout.ts'
import { EVENT_COLUMNS, type EventRow } from '../../src/pipeline/types.ts'

let s: TestServer
let storeDown = false
beforeAll(async () => {
  // The server only holds the store for the spools opened below. In the default (spool) mode:
  // beside a server spool feeding in the same process, the close test below found its rows
  // stored after close() returned until the feeder checked close() at every step (feeder.ts).
  s = await startTestServer({ apps: [testApp()], listen: false })
})
afterAll(() => s?.stop())

const insert: SpoolOptions['insert'] = async (body, _rows, token, _first, format = 'JSONCompactEachRow') => {
  if (storeDown) throw new Error('ClickHouse is down')
  await s.veil.storage.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format, body, settings: { insert_deduplication_token: token } })
}

let n = 0
function rows(count: number, app: string): EventRow[] {
  const now = Date.now()
  return Array.from({ length: count }, () => {
    const id = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`
    return [app, id, 'login', now, now, 'u', 's', '', 1, {}, {}, '', '', '', '', '', '', 'desktop', '', 0, 0, '', '', 'user'] as EventRow
  })
}
const storedCounts = async (app: string) =>
  Object.fromEntries((await s.query<{ id: string; n: string }>(
    'SELECT toString(event_id) AS id, count() AS n FROM events WHERE app_id = {app:String} GROUP BY id', { app },
  )).map((r) => [r.id, Number(r.n)]))

describe('the spool feeder', () => {
  it('reports and skips a segment deleted from under it, and goes on feeding the later ones', async () => {
    const dir = tempDir('spool-vanished-')
    const app = 'spool-vanished'
    const damage: { segment: string; corruptRows: number }[] = []
    // One frame a segment (any size reaches segmentBytes); the feeder waits until drain().
    const spool = await openSpool({
      dir, insert, maxBytes: 2 ** 20, segmentBytes: 1, insertRows: 10_000, feedDelayMs: 3_600_000, retryMs: 50,
      onDamage: (d) => damage.push(d),
    })
    const batches = [rows(10, app), rows(7, app), rows(5, app)]
    for (const b of batches) await spool.append(encodeRows(b), b.length)
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg')).sort()).toEqual([1, 2, 3].map(segmentName))
    rmSync(join(dir, segmentName(2)))

    // Before, the feeder retried the missing segment forever and this drain never settled.
    let drained = false
    void spool.drain().then(() => (drained = true))
    await until(async () => drained, Boolean, 'the drain', 10_000)

    const expected = Object.fromEntries([...batches[0]!, ...batches[2]!].map((r) => [r[1], 1]))
    expect(await storedCounts(app)).toEqual(expected)
    expect(spool.stats()).toMatchObject({ corruptSegments: 1, corruptRows: 7, pendingRows: 0 })
    expect(damage).toEqual([expect.objectContaining({ segment: `${segmentName(2)} (missing)`, corruptRows: 7 })])
    // The fed segments are gone; the one still written to stays.
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg'))).toEqual([segmentName(3)])
    await spool.close(1000)
  })

  it('starts no insert once close() has returned, even with rows left unfed', async () => {
    const dir = tempDir('spool-closed-')
    const app = 'spool-closed'
    let attempts = 0
    storeDown = true
    const spool = await openSpool({
      dir, insert, maxBytes: 2 ** 20, segmentBytes: 64 * 1024, insertRows: 10_000, feedDelayMs: 0, retryMs: 20,
      onInsertError: () => attempts++,
    })
    const b = rows(10, app)
    await spool.append(encodeRows(b), b.length)
    await until(async () => attempts, (a) => a >= 2, 'failed inserts')
    await spool.close(100)
    const atClose = attempts
    storeDown = false
    // Absence can only be watched for a while: ten retry periods of a closing spool (50 ms).
    // Before, the feeder went on every 50 ms for as long as the process lived.
    await new Promise((r) => setTimeout(r, 500))
    expect(attempts).toBe(atClose)
    expect(await storedCounts(app)).toEqual({})
    // What it held is still on disk, replayed by the next open.
    const again = await openSpool({ dir, insert, maxBytes: 2 ** 20, segmentBytes: 64 * 1024, insertRows: 10_000, feedDelayMs: 0 })
    await again.drain()
    expect(await storedCounts(app)).toEqual(Object.fromEntries(b.map((r) => [r[1], 1])))
    await again.close(1000)
  })
})
