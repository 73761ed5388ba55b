// Damage done to a spool while it was stopped (issue 24, item 4), and what a clean stop leaves:
// a segment cut at a frame boundary, one deleted, a frame header flipped: each counted with its
// rows (sealed in the next segment's head: segment-head.ts), reported, the cut one kept aside.
// After a clean stop nothing is replayed and `veil spool` sees nothing waiting. Real chDB.
import { existsSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { openSpool, type SpoolOptions } from '../../src/storage/spool/spool.ts'
import { inspectSpool } from '../../src/storage/spool/inspect.ts'
import { eventIdsOf, encodeRows } from '../../src/storage/rows/rows-format.ts'
import { readFrames, type Frame } from '../../src/storage/spool/layout.ts'
import { expectNoLossNoDuplicateAggregatesAgree, idsOf, rows, storeInsert, storedCounts } from './support.ts'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer({ apps: [testApp()], listen: false })
})
afterAll(() => s?.stop())

let storeDown = true
const insert = storeInsert(() => s.veil.storage, () => storeDown)
const open = (dir: string, over: Partial<SpoolOptions> = {}) =>
  openSpool({ dir, insert, maxBytes: 8 * 2 ** 20, segmentBytes: 24 * 1024, insertRows: 10_000, feedDelayMs: 0, retryMs: 50, ...over })

/** Spools 40 frames of 20 rows into several small segments with the store down, then stops cleanly. */
async function spoolThenStop(dir: string, app: string): Promise<string[]> {
  storeDown = true
  const spool = await open(dir)
  const acked: string[] = []
  for (let i = 0; i < 40; i++) {
    const r = rows(20, app)
    await spool.append(encodeRows(r), r.length)
    acked.push(...idsOf(r))
  }
  await spool.close(100)
  return acked
}

const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.seg')).sort()
const framesOf = (path: string): Frame[] => readFrames(readFileSync(path)).frames
const idsIn = (frames: Frame[]) => frames.flatMap((f) => eventIdsOf(f.payload, f.format))

describe('damage done while the spool was stopped', () => {
  it('counts a segment cut at a frame boundary and one deleted, with their rows, logs both and keeps the cut one', async () => {
    const dir = tempDir('fault-stopped-')
    const app = 'stopped-cut-deleted'
    const acked = await spoolThenStop(dir, app)
    const segs = segments(dir)
    expect(segs.length).toBeGreaterThanOrEqual(4)
    // Neither is the last segment: a clean cut leaves only whole frames, so no frame scan sees it.
    const cut = join(dir, segs[1]!)
    const cutFrames = framesOf(cut)
    const keep = Math.floor(cutFrames.length / 2)
    const lostToCut = idsIn(cutFrames.slice(keep))
    truncateSync(cut, cutFrames[keep]!.offset)
    const deleted = join(dir, segs[2]!)
    const lostToDelete = idsIn(framesOf(deleted))
    rmSync(deleted)

    storeDown = false
    const damage: { segment: string; corruptRows: number }[] = []
    const again = await open(dir, { onDamage: (d) => damage.push(d) })
    expect(again.stats()).toMatchObject({ corruptSegments: 2, corruptRows: lostToCut.length + lostToDelete.length })
    expect(damage).toEqual(expect.arrayContaining([
      expect.objectContaining({ segment: expect.stringContaining(`${segs[1]} (cut`), corruptRows: lostToCut.length }),
      expect.objectContaining({ segment: `${segs[2]} (missing)`, corruptRows: lostToDelete.length }),
    ]))
    await again.drain()
    const lost = new Set([...lostToCut, ...lostToDelete])
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app, acked.filter((id) => !lost.has(id)))
    // The cut segment is kept for an operator once its whole frames are in ClickHouse.
    expect(existsSync(cut)).toBe(false)
    expect(existsSync(cut + '.damaged')).toBe(true)
    await again.close(1000)
  })

  it('counts every row of a frame whose header was damaged, not only rows of frames with an intact header', async () => {
    const dir = tempDir('fault-stopped-head-')
    const app = 'stopped-header'
    const acked = await spoolThenStop(dir, app)
    const path = join(dir, segments(dir)[1]!)
    const buf = readFileSync(path)
    const hit = readFrames(buf).frames[2]!
    buf[hit.offset + 9] = buf[hit.offset + 9]! ^ 0xff // its row count: the header checksum fails
    writeFileSync(path, buf)
    const lost = eventIdsOf(hit.payload, hit.format)

    storeDown = false
    const again = await open(dir)
    expect(again.stats()).toMatchObject({ corruptSegments: 1, corruptRows: lost.length })
    await again.drain()
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app, acked.filter((id) => !lost.includes(id)))
    await again.close(1000)
  })
})

describe('a clean stop', () => {
  it('leaves nothing to replay and nothing waiting', async () => {
    const dir = tempDir('fault-clean-stop-')
    const app = 'clean-stop'
    storeDown = false
    const spool = await open(dir)
    const first = rows(30, app)
    await spool.append(encodeRows(first), first.length)
    await spool.drain()
    await spool.close(1000)
    expect(inspectSpool(dir).waitingRows).toBe(0)

    const again = await open(dir)
    expect(again.stats()).toMatchObject({ replayedRows: 0, corruptSegments: 0 })
    const more = rows(10, app)
    await again.append(encodeRows(more), more.length)
    await again.drain()
    await again.close(1000)
    const counts = await storedCounts(s.veil.storage.client, app)
    expect(counts.size).toBe(40)
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app, [...idsOf(first), ...idsOf(more)])
  })
})
