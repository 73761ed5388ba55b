// F7 and torn tails: a flipped byte in the middle of a segment costs the one frame it is in,
// not the frames after it; the damaged segment is kept aside (never deleted) and counted; a
// segment cut short by a crash loses only its unacknowledged tail. Real chDB behind the spool.
import { existsSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { openSpool, type SpoolOptions } from '../../src/storage/spool/spool.ts'
import { encodeRows } from '../../src/storage/rows/rows-format.ts'
import type { EventRow } from '../../src/pipeline/types.ts'
import { FRAME_HEADER_BYTES, readFrames } from '../../src/storage/spool/layout.ts'
import { crashableFs, expectNoLossNoDuplicateAggregatesAgree, idsOf, rows, storeInsert, storedCounts } from './support.ts'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer({ apps: [testApp()], listen: false })
})
afterAll(() => s?.stop())

let storeDown = true
const insert = storeInsert(() => s.veil.storage, () => storeDown)
const open = (dir: string, over: Partial<SpoolOptions> = {}) =>
  openSpool({ dir, insert, maxBytes: 8 * 2 ** 20, segmentBytes: 4 * 2 ** 20, insertRows: 10_000, feedDelayMs: 0, retryMs: 50, ...over })

/** Spools `frames` frames of `size` rows with the store down, then abandons the spool (a crash). */
async function spoolThenCrash(dir: string, frames: number, size: number, app: string): Promise<EventRow[][]> {
  storeDown = true
  // Cut off from its disk and the store, as a dead process is: a clean stop would seal the
  // segment (segment-head.ts), and a cut then counts as damage (spool-stopped.test.ts).
  const crash = crashableFs()
  const spool = await open(dir, { fs: crash.fs, insert: storeInsert(() => s.veil.storage, () => storeDown || crash.crashed()) })
  const out: EventRow[][] = []
  for (let i = 0; i < frames; i++) {
    const r = rows(size, app)
    await spool.append(encodeRows(r), r.length)
    out.push(r)
  }
  crash.crash()
  await spool.close(10)
  return out
}

const segment = (dir: string) => join(dir, readdirSync(dir).filter((f) => f.endsWith('.seg')).sort()[0]!)

describe('a damaged spool segment', () => {
  for (const where of ['payload', 'header'] as const) {
    it(`loses only the frame with a flipped ${where} byte, keeps the segment aside and counts it (F7)`, async () => {
      const dir = tempDir('fault-flip-')
      const app = `f7-${where}`
      const frames = await spoolThenCrash(dir, 30, 50, app)
      const path = segment(dir)
      const buf = readFileSync(path)
      // Flip a byte inside frame 10.
      const at = readFrames(buf).frames[10]!.offset + (where === 'header' ? 5 : FRAME_HEADER_BYTES + 40)
      buf[at] = buf[at]! ^ 0xff
      writeFileSync(path, buf)
      storeDown = false
      const damage: unknown[] = []
      const again = await open(dir, { onDamage: (d) => damage.push(d) })
      expect(again.stats()).toMatchObject({ corruptSegments: 1, replayedRows: 29 * 50 })
      expect(damage).toHaveLength(1)
      await again.drain()
      const lost = frames[10]!
      const kept = frames.filter((_, i) => i !== 10).flat()
      await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app, idsOf(kept))
      const counts = await storedCounts(s.veil.storage.client, app)
      expect(idsOf(lost).filter((id) => counts.has(id))).toEqual([])
      // Moved aside, not deleted, once its valid frames are in ClickHouse.
      expect(existsSync(path)).toBe(false)
      expect(existsSync(path + '.damaged')).toBe(true)
      expect(again.stats().damagedSegments).toBe(1)
      await again.close(1000)
    })
  }

  it('loses only the unacknowledged tail of a segment a crash cut short, and deletes it when done', async () => {
    const dir = tempDir('fault-tail-')
    const app = 'torn-tail'
    const frames = await spoolThenCrash(dir, 10, 40, app)
    const path = segment(dir)
    // The last frame's write was cut short by the crash (it was never acknowledged).
    truncateSync(path, statSync(path).size - 100)
    storeDown = false
    const again = await open(dir)
    expect(again.stats()).toMatchObject({ corruptSegments: 1, replayedRows: 9 * 40 })
    await again.drain()
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app, idsOf(frames.slice(0, 9).flat()))
    expect(existsSync(path)).toBe(false)
    expect(existsSync(path + '.damaged')).toBe(false)
    await again.close(1000)
  })
})
