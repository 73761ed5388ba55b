// A full spool that drops its oldest rows (src/storage/spool/drop-oldest.ts, a relay's
// RELAY_SPOOL_FULL=drop-oldest): new appends are taken, the oldest frames not being inserted are
// given up and counted, the range in flight is never dropped, and a reopened spool neither feeds
// the dropped rows again nor reports their deleted segments as damage. The insert is a
// hand-written uplink that is away, then back (no engine: the spool's own files on disk).
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../../support/server.ts'
import { until } from '../../../support/until.ts'
import type { EventRow } from '../../../../src/pipeline/types.ts'
import { encodeRows, eventIdsOf } from '../../../../src/storage/rows/rows-format.ts'
import { openSpool, type SpoolOptions } from '../../../../src/storage/spool/spool.ts'
import { StorageUnavailableError } from '../../../../src/storage/commit/writer.ts'
import { nodeSpoolFs, type SpoolFs } from '../../../../src/storage/spool/spool-fs.ts'

/** The spool's disk, on which syncs of the `drops` ring fail while `failing` (a failing disk). */
function dropsFailingFs(): { fs: SpoolFs; failing: boolean } {
  const disk = {
    failing: false,
    fs: {
      ...nodeSpoolFs,
      async open(path: string, mode: 'w' | 'r+' | 'r') {
        const f = await nodeSpoolFs.open(path, mode)
        if (!path.endsWith('drops')) return f
        return { ...f, datasync: () => (disk.failing ? Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })) : f.datasync()) }
      },
    },
  }
  return disk
}

let n = 0
function rows(count: number): EventRow[] {
  const now = Date.now()
  return Array.from({ length: count }, () => {
    const id = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`
    return ['drop-app', id, 'login', now, now, `u${n % 7}`, 's', '', 1, { path: '/p' }, {}, 'DE', '', 'Chrome', '120', 'Linux', '', 'desktop', 'de', 0, 0, '', '', 'user'] as EventRow
  })
}

/** The uplink: refuses while `down`, hangs while `held`; counts every id it took. */
function uplink() {
  const u = {
    down: true,
    held: false,
    attempts: 0,
    release: () => {},
    took: new Map<string, number>(),
    async insert(body: Buffer, _rows: number, _token: string, _first?: boolean, format?: 'RowBinary' | 'JSONCompactEachRow') {
      u.attempts++
      if (u.held) await new Promise<void>((r) => (u.release = r))
      if (u.down) throw new Error('the uplink is away')
      for (const id of eventIdsOf(body, format ?? 'JSONCompactEachRow')) u.took.set(id, (u.took.get(id) ?? 0) + 1)
    },
  }
  return u
}

const options = (dir: string, u: ReturnType<typeof uplink>, over: Partial<SpoolOptions> = {}): SpoolOptions => ({
  dir, insert: u.insert, maxBytes: 256 * 1024, segmentBytes: 64 * 1024, insertRows: 50, feedDelayMs: 0, retryMs: 20, full: 'drop-oldest', ...over,
})

describe('a spool that drops its oldest rows when full', () => {
  it('takes every append, drops the oldest frames after the one in flight, and after a restart feeds exactly the rest once', async () => {
    const dir = tempDir('spool-drop-')
    const u = uplink()
    let dropped = 0
    const spool = await openSpool(options(dir, u, { onDrop: (r) => void (dropped += r) }))
    const acked: string[] = []
    // About 1 MB of frames into 256 KiB: whole segments after the first are dropped.
    for (let i = 0; i < 300; i++) {
      const r = rows(20)
      await spool.append(encodeRows(r), r.length)
      acked.push(...r.map((x) => x[1]))
    }
    expect(dropped).toBeGreaterThan(0)
    const before = spool.stats()
    expect(before).toMatchObject({ refusedRows: 0, pendingRows: acked.length - dropped })
    expect(before.pendingBytes).toBeLessThanOrEqual(256 * 1024)
    // Segments wholly dropped are deleted at once: the disk holds about maxBytes, not all 300 frames.
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg')).length).toBeLessThanOrEqual(256 / 64 + 2)
    expect(existsSync(join(dir, '0000000002.seg'))).toBe(false)
    expect(existsSync(join(dir, 'drops'))).toBe(true)
    await spool.close(50)

    u.down = false
    const damage: unknown[] = []
    const again = await openSpool(options(dir, u, { onDamage: (d) => void damage.push(d) }))
    expect(again.stats()).toMatchObject({ replayedRows: acked.length - dropped, corruptSegments: 0, corruptRows: 0 })
    await again.drain()
    await again.close(1000)
    expect(damage).toEqual([])
    expect([...u.took.values()].filter((c) => c !== 1)).toEqual([])
    // What never arrived is one run of the oldest rows right after the first frame, which was in
    // flight when the spool filled and so was kept; the newest arrived.
    const missing = acked.filter((id) => !u.took.has(id))
    expect(missing.length).toBe(dropped)
    expect(missing).toEqual(acked.slice(20, 20 + dropped))
    expect(u.took.size).toBe(acked.length - dropped)
  })

  it('refuses, as before, when only the range being inserted is left to drop', async () => {
    const dir = tempDir('spool-drop-inflight-')
    const u = uplink()
    u.held = true
    const spool = await openSpool(options(dir, u, { maxBytes: 64 * 1024, full: 'drop-oldest' }))
    const first = rows(250)
    const second = rows(250)
    // Two such frames pass the bound: room for the second only by dropping the first.
    expect(encodeRows(first).length + encodeRows(second).length).toBeGreaterThan(64 * 1024)
    await spool.append(encodeRows(first), first.length)
    await until(() => u.attempts === 1, 5000, 'the first frame in flight')
    await expect(spool.append(encodeRows(second), second.length)).rejects.toBeInstanceOf(StorageUnavailableError)
    expect(spool.stats()).toMatchObject({ refusedRows: 250, pendingRows: 250 })
    u.down = false
    u.held = false
    u.release()
    await spool.drain()
    await spool.close(1000)
    expect(first.every((r) => u.took.get(r[1]) === 1)).toBe(true)
  })

  it('refuses when a drop cannot be recorded, deletes nothing, and forwards the rows it meant to drop after a restart', async () => {
    const dir = tempDir('spool-drop-eio-')
    const u = uplink()
    const disk = dropsFailingFs()
    const spool = await openSpool(options(dir, u, { fs: disk.fs }))
    const acked: string[] = []
    const append = async () => {
      const r = rows(20)
      await spool.append(encodeRows(r), r.length)
      acked.push(...r.map((x) => x[1]))
    }
    // Full, then one drop recorded: the spool is dropping.
    while (spool.stats().pendingBytes < 240 * 1024) await append()
    for (let i = 0; i < 60; i++) await append()
    const segments = () => readdirSync(dir).filter((f) => f.endsWith('.seg'))
    disk.failing = true
    const r = rows(20)
    await expect(spool.append(encodeRows(r), r.length)).rejects.toBeInstanceOf(StorageUnavailableError)
    // From then on it refuses as without the option, and keeps its segments for the next start.
    await expect(spool.append(encodeRows(rows(20)), 20)).rejects.toBeInstanceOf(StorageUnavailableError)
    const kept = segments()
    await spool.close(50)
    // (A clean stop starts one more segment, to seal the last: spool.ts close.)
    expect(kept.filter((f) => !segments().includes(f))).toEqual([])

    u.down = false
    const damage: unknown[] = []
    const again = await openSpool(options(dir, u, { onDamage: (d) => void damage.push(d) }))
    await again.drain()
    await again.close(1000)
    expect(damage).toEqual([])
    expect([...u.took.values()].filter((c) => c !== 1)).toEqual([])
    // Only what the recorded drops gave up is missing: one run after the first frame.
    const missing = acked.filter((id) => !u.took.has(id))
    expect(missing.length).toBeGreaterThan(0)
    expect(missing).toEqual(acked.slice(20, 20 + missing.length))
    expect(u.took.size).toBe(acked.length - missing.length)
  })

  it('is off unless asked: a spool without `full` refuses at maxBytes and keeps no drops file', async () => {
    const dir = tempDir('spool-refuse-')
    const u = uplink()
    const spool = await openSpool({ ...options(dir, u), full: undefined })
    let refused = 0
    for (let i = 0; i < 100; i++) {
      const r = rows(20)
      await spool.append(encodeRows(r), r.length).catch((e: unknown) => {
        expect(e).toBeInstanceOf(StorageUnavailableError)
        refused += r.length
      })
    }
    expect(refused).toBeGreaterThan(0)
    expect(spool.stats().refusedRows).toBe(refused)
    expect(existsSync(join(dir, 'drops'))).toBe(false)
    await spool.close(50)
  })
})
