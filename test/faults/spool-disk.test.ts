// F1, F2, F3, F8 and the failed-sync case: the spool on a disk that fills up, cuts writes short
// or fails syncs (an injected filesystem; a tmpfs mount needs privileges), against real chDB.
// Every acknowledged append is stored exactly once after a crash and a restart on a working
// disk, nothing torn is ever acknowledged, the spool heals by itself, and the aggregates agree.
import { readdirSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { openSpool, type Spool, type SpoolOptions } from '../../src/storage/spool/spool.ts'
import { encodeRows } from '../../src/storage/rows/rows-format.ts'
import type { EventRow } from '../../src/pipeline/types.ts'
import { crashableFs, expectNoLossNoDuplicateAggregatesAgree, faultyDisk, idsOf, rows, storeInsert, until } from './support.ts'

/** The engine's own collector, so memory is measured without garbage waiting to be collected. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

let s: TestServer
let storeDown = false
beforeAll(async () => {
  s = await startTestServer({ apps: [testApp()], listen: false })
})
afterAll(() => s?.stop())

const insert = storeInsert(() => s.veil.storage, () => storeDown)
/** A spool that `crash()` cuts off from its disk and the store (support.ts, crashableFs). */
function crashable(fs: SpoolOptions['fs']): { crash(): void; over: Partial<SpoolOptions> } {
  const c = crashableFs(fs)
  return { crash: c.crash, over: { fs: c.fs, insert: storeInsert(() => s.veil.storage, () => storeDown || c.crashed()) } }
}

const open = (dir: string, over: Partial<SpoolOptions> = {}) =>
  openSpool({ dir, insert, maxBytes: 8 * 2 ** 20, segmentBytes: 64 * 1024, insertRows: 10_000, feedDelayMs: 0, retryMs: 50, healMs: 100, ...over })

/** Appends batches one after another; returns the ids acknowledged and how many were refused. */
async function load(spool: Spool, batches: number, size: number, app: string): Promise<{ acked: string[]; refused: number; errors: string[] }> {
  const acked: string[] = []
  const errors: string[] = []
  let refused = 0
  for (let i = 0; i < batches; i++) {
    const r = rows(size, app)
    try {
      await spool.append(encodeRows(r), r.length)
      acked.push(...idsOf(r))
    } catch (e) {
      refused++
      errors.push((e as Error).message)
    }
  }
  return { acked, refused, errors }
}

describe('a spool disk that fills up', () => {
  it('refuses before the disk is full, never acknowledges a torn frame, and stores every acknowledged row once after a crash (F1)', async () => {
    const dir = tempDir('fault-full-')
    const disk = faultyDisk(dir, 600 * 1024)
    storeDown = true // nothing drains: the disk fills
    const app = 'f1-free-check'
    const crash = crashable(disk.fs)
    const spool = await open(dir, { ...crash.over, minFreeBytes: 64 * 1024 })
    const { acked, refused } = await load(spool, 200, 20, app)
    expect(acked.length).toBeGreaterThan(0)
    expect(refused).toBeGreaterThan(0)
    expect(spool.stats().diskRefusedRows).toBeGreaterThan(0)
    expect(spool.health()?.reason).toBe('disk_low')
    // Crash (the spool is abandoned and cut off), restart on the same directory with the store back.
    crash.crash()
    storeDown = false
    const again = await open(dir)
    await again.drain()
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app, acked)
    await again.close(1000)
    await spool.close(10)
  })

  it('truncates a frame whose write is cut short and refuses it, then stores every acknowledged row once after a crash (F1, statfs fooled)', async () => {
    const dir = tempDir('fault-short-')
    const disk = faultyDisk(dir, 500 * 1024)
    disk.lieAboutSpace = true // another process filled the disk between the check and the write
    storeDown = true
    const app = 'f1-short-write'
    const crash = crashable(disk.fs)
    const spool = await open(dir, crash.over)
    const { acked, refused, errors } = await load(spool, 200, 20, app)
    expect(disk.writes.short + disk.writes.enospc).toBeGreaterThan(0)
    expect(refused).toBeGreaterThan(0)
    expect(errors.some((m) => /cannot write to disk/.test(m))).toBe(true)
    crash.crash()
    storeDown = false
    const again = await open(dir)
    // No torn frame: the truncation left whole frames only, so nothing is counted corrupt.
    expect(again.stats()).toMatchObject({ corruptSegments: 0, replayedRows: acked.length })
    await again.drain()
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app, acked)
    await again.close(1000)
    await spool.close(10)
  })

  it('accepts again once space is freed, without a restart (F2), and the feeder frees space on a full disk (F3)', async () => {
    const dir = tempDir('fault-heal-')
    const disk = faultyDisk(dir, 500 * 1024)
    disk.lieAboutSpace = true
    storeDown = true
    const app = 'f2-heal'
    const spool = await open(dir, { fs: disk.fs })
    const first = await load(spool, 200, 20, app)
    expect(first.refused).toBeGreaterThan(0)
    // The store comes back while the disk is still full: the feeder records its intent in the
    // preallocated ring, inserts, deletes inserted segments, and so frees the disk.
    storeDown = false
    await spool.drain()
    await until(() => readdirSync(dir).filter((f) => f.endsWith('.seg')).length <= 1, 10_000, 'segments deleted')
    const second = await load(spool, 20, 20, app)
    expect(second.refused).toBe(0)
    await spool.drain()
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app, [...first.acked, ...second.acked])
    await spool.close(1000)
  })

  it('stops acknowledging after a failed sync it cannot undo, says so on health, and heals on a working disk', async () => {
    const dir = tempDir('fault-eio-')
    const disk = faultyDisk(dir, 64 * 2 ** 20)
    const app = 'eio-heal'
    const spool = await open(dir, { fs: disk.fs, healMs: 200 })
    const before = await load(spool, 5, 10, app)
    disk.failSync = { alsoTruncate: true }
    const during = await load(spool, 3, 10, app)
    expect(during.refused).toBe(3)
    expect(spool.health()?.reason).toBe('failed')
    expect(spool.stats().failed).toBe(true)
    disk.failSync = false
    await new Promise((r) => setTimeout(r, 250)) // healMs: the next append tries a fresh segment
    const after = await load(spool, 5, 10, app)
    expect(after.refused).toBe(0)
    expect(spool.health()).toBeUndefined()
    await spool.drain()
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app, [...before.acked, ...after.acked])
    await spool.close(1000)
  })

  it('keeps frames on disk, not in memory, while the store is down (F8)', async () => {
    const dir = tempDir('fault-ram-')
    storeDown = true
    const app = 'f8-ram'
    const segmentBytes = 4 * 2 ** 20
    const spool = await open(dir, { maxBytes: 256 * 2 ** 20, segmentBytes })
    const gc = exposeGc()
    gc()
    const buffersBefore = process.memoryUsage().arrayBuffers
    // About 55 MB spooled in 100 appends of 1,000 rows with a 300-byte prop.
    const acked: string[] = []
    for (let i = 0; i < 100; i++) {
      const r: EventRow[] = rows(1000, app).map((x) => ((x[9] = { path: '/p', text: 'x'.repeat(300) }), x))
      await spool.append(encodeRows(r), r.length)
      acked.push(...idsOf(r))
    }
    const spooled = spool.stats().pendingBytes
    expect(spooled).toBeGreaterThan(40 * 2 ** 20)
    gc()
    // Payloads are Buffers (outside the JS heap): after their sync they are let go, and only
    // the queue's small range records stay. Before, every waiting frame stayed in memory. What
    // may be held is the one feed in flight (the feeder retries every 50 ms): a range of at most
    // one segment (which can pass segmentBytes by one frame) read from disk, and its frames
    // joined into one body; 2 MB for everything else. All waiting frames would be about 50 MB.
    const held = process.memoryUsage().arrayBuffers - buffersBefore
    const frameBytes = spooled / 100
    expect(held).toBeLessThan(2 * (segmentBytes + frameBytes) + 2 * 2 ** 20)
    expect(held).toBeLessThan(spooled / 4)
    storeDown = false
    await spool.drain()
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app, acked)
    await spool.close(1000)
  }, 120_000)
})
