// The spool's group commit in a pipeline (src/storage/spool/append.ts): the next group is written
// while the last one syncs, and is acknowledged only by a sync that started after its write; a
// failed sync or write cuts the segment back and refuses every group from there on. The disk is
// a temp directory behind a hand-written SpoolFs whose segment syncs wait until the test answers
// each one, and whose free space is the room left under a set capacity.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../../support/server.ts'
import { until } from '../../../support/until.ts'
import { openAppender } from '../../../../src/storage/spool/append.ts'
import { segmentName } from '../../../../src/storage/spool/layout.ts'
import { HEAD_BYTES } from '../../../../src/storage/spool/segment-head.ts'
import { nodeSpoolFs, type SpoolFile, type SpoolFs } from '../../../../src/storage/spool/spool-fs.ts'
import type { SpoolBacklog, SpoolCounters, SpoolOptions } from '../../../../src/storage/spool/types.ts'

const eio = () => Object.assign(new Error('EIO: injected by the test disk'), { code: 'EIO' })

interface Held {
  id: number
  ok(): void
  fail(): void
}

/**
 * The spool's disk: real files in `dir`. While `hold`, each segment fdatasync waits for the test
 * to answer it (`nextSync`). `log` says in order what reached the disk: each frame's write (named
 * by its payloads' first letters), each sync's start and end, each truncation, and (pushed by
 * `append` below) each acknowledgement. Free space is `capacity` less the files' sizes.
 */
function testDisk(dir: string, capacity = 2 ** 30) {
  const log: string[] = []
  const held: Held[] = []
  let syncs = 0
  const used = () => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0)
  const disk = {
    log,
    hold: true,
    failWrite: false,
    failTruncate: false,
    statfs: 0,
    /** The least free space seen right after a frame's write. */
    leastFree: Infinity,
    used,
    fs: {
      ...nodeSpoolFs,
      async open(path, mode) {
        const f = await nodeSpoolFs.open(path, mode)
        if (!path.endsWith('.seg')) return f
        const file: SpoolFile = {
          ...f,
          async writev(bufs, position) {
            const name = bufs.slice(1).map((b) => b.toString()[0]).join('')
            if (disk.failWrite) {
              // Half the frame reaches the file, then the disk fails: a torn frame.
              await f.write(Buffer.concat(bufs).subarray(0, 10), position)
              log.push(`torn ${name}`)
              throw eio()
            }
            const n = await f.writev!(bufs, position)
            disk.leastFree = Math.min(disk.leastFree, capacity - used())
            log.push(`write ${name}`)
            return n
          },
          datasync() {
            if (!disk.hold) return f.datasync()
            const id = ++syncs
            log.push(`sync ${id} start`)
            return new Promise<void>((resolve, reject) => {
              const ok = () => f.datasync().then(() => log.push(`sync ${id} done`)).then(() => resolve(), reject)
              held.push({ id, ok, fail: () => (log.push(`sync ${id} failed`), reject(eio())) })
            })
          },
          async truncate(length) {
            if (disk.failTruncate) throw eio()
            log.push(`truncate ${length}`)
            return f.truncate(length)
          },
        }
        return file
      },
      async freeBytes() {
        disk.statfs++
        return Math.max(0, capacity - used())
      },
    } satisfies SpoolFs,
    /** The oldest sync not answered yet, once one has started. */
    async nextSync(): Promise<Held> {
      await until(() => held.length > 0, 5000, 'a segment sync to start')
      return held.shift()!
    },
  }
  return disk
}

type Disk = ReturnType<typeof testDisk>

async function openTestAppender(dir: string, disk: Disk, over: Partial<SpoolOptions> = {}) {
  const backlog: SpoolBacklog = { queue: [], rows: 0, bytes: 0 }
  const stats: SpoolCounters = {
    appendedRows: 0, syncs: 0, inserts: 0, insertedRows: 0, failedInserts: 0, retries: 0, refusedRows: 0, diskRefusedRows: 0, writeFailures: 0,
    replayedRows: 0, corruptSegments: 0, corruptBytes: 0, corruptRows: 0, damagedSegments: 0, deadLetteredRows: 0,
  }
  const opts: SpoolOptions = { dir, insert: async () => {}, maxBytes: 64 * 2 ** 20, segmentBytes: 64 * 2 ** 20, insertRows: 1000, feedDelayMs: 0, healMs: 50, fs: disk.fs, groupsInFlight: 16, ...over }
  const appender = await openAppender({ opts, fs: disk.fs, backlog, stats, lastSeq: 0, lastSeals: [], onFramed: () => {} })
  /** Appends one row whose payload is `name` repeated; the outcome is kept, the acknowledgement logged. */
  const append = (name: string, bytes = 100) => {
    const t: { promise: Promise<void>; state: 'waiting' | 'acked' | Error } = { promise: appender.append(Buffer.from(name.repeat(bytes)), 1, 'JSONCompactEachRow'), state: 'waiting' }
    t.promise.then(
      () => ((t.state = 'acked'), disk.log.push(`ack ${name}`)),
      (e: Error) => (t.state = e),
    )
    return t
  }
  return { appender, append, backlog, stats }
}

/** Whether `name` was acknowledged only after a sync that started after its write had finished. */
function ackedAfterACoveringSync(log: string[], name: string): boolean {
  const write = log.findIndex((l) => l.startsWith('write ') && l.slice(6).includes(name))
  const ack = log.indexOf(`ack ${name}`)
  if (write < 0 || ack < 0) return false
  return log.some((l, i) => {
    const m = /^sync (\d+) start$/.exec(l)
    return m !== null && i > write && log.indexOf(`sync ${m[1]} done`) < ack && log.indexOf(`sync ${m[1]} done`) > i
  })
}

const FRAME = 20 + 100 // a frame's header and one 100-byte payload

describe('the spool group commit, one group at a time (the default)', () => {
  it('writes nothing while a sync runs, then what arrived meanwhile as one group, acknowledged by its own sync', async () => {
    const dir = tempDir('spool-append-')
    const disk = testDisk(dir)
    const { appender, append, stats } = await openTestAppender(dir, disk, { groupsInFlight: undefined })
    const a = append('A')
    const s1 = await disk.nextSync()
    const b = append('B')
    const c = append('C')
    // B and C wait in memory: another turn of the event loop writes nothing.
    await new Promise((r) => setImmediate(r))
    expect(disk.log).toEqual(['write A', 'sync 1 start'])
    s1.ok()
    await a.promise
    const s2 = await disk.nextSync()
    expect(disk.log.slice(2)).toEqual(['sync 1 done', 'ack A', 'write BC', 'sync 2 start'])
    expect([b.state, c.state]).toEqual(['waiting', 'waiting'])
    s2.ok()
    await Promise.all([b.promise, c.promise])
    for (const name of ['A', 'B', 'C']) expect(ackedAfterACoveringSync(disk.log, name), name).toBe(true)
    expect(stats.syncs).toBe(2)
    await appender.close()
  })
})

describe('the spool group commit in a pipeline (groupsInFlight 16)', () => {
  it('writes what arrives while a sync runs at once, and acknowledges it with the next sync', async () => {
    const dir = tempDir('spool-append-')
    const disk = testDisk(dir)
    const { appender, append, stats } = await openTestAppender(dir, disk)
    const a = append('A')
    const s1 = await disk.nextSync()
    const b = append('B')
    await until(() => disk.log.includes('write B'), 5000, "B's write")
    const c = append('C')
    await until(() => disk.log.includes('write C'), 5000, "C's write")
    expect(disk.log).toEqual(['write A', 'sync 1 start', 'write B', 'write C'])
    s1.ok()
    await a.promise
    const s2 = await disk.nextSync() // covers B and C
    expect([b.state, c.state]).toEqual(['waiting', 'waiting'])
    s2.ok()
    await Promise.all([b.promise, c.promise])
    for (const name of ['A', 'B', 'C']) expect(ackedAfterACoveringSync(disk.log, name), name).toBe(true)
    expect(stats.syncs).toBe(2)
    await appender.close()
  })

  it('keeps at most groupsInFlight groups written and not acknowledged, each acknowledged only after a sync that started after its write', async () => {
    const dir = tempDir('spool-append-')
    const disk = testDisk(dir)
    const { appender, append, backlog, stats } = await openTestAppender(dir, disk, { groupsInFlight: 2 })
    const a = append('A')
    const s1 = await disk.nextSync() // covers A
    const b = append('B')
    const c = append('C')
    await until(() => disk.log.includes('write B'), 5000, "B's write")
    // Two groups in flight: C waits for A's sync before it is written.
    expect(disk.log).toEqual(['write A', 'sync 1 start', 'write B'])
    s1.ok()
    await a.promise
    const s2 = await disk.nextSync() // covers B, started before C's write finished
    await until(() => disk.log.includes('write C'), 5000, "C's write")
    expect(b.state).toBe('waiting')
    expect(backlog.queue.map((q) => q.offset)).toEqual([HEAD_BYTES])
    s2.ok()
    await b.promise
    expect(c.state).toBe('waiting') // its write finished after sync 2 started
    const s3 = await disk.nextSync()
    s3.ok()
    await c.promise
    for (const name of ['A', 'B', 'C']) expect(ackedAfterACoveringSync(disk.log, name), name).toBe(true)
    expect(backlog).toMatchObject({ rows: 3, bytes: 3 * FRAME })
    expect(backlog.queue.map((q) => [q.offset, q.end])).toEqual([0, 1, 2].map((i) => [HEAD_BYTES + i * FRAME, HEAD_BYTES + (i + 1) * FRAME]))
    expect(stats.syncs).toBe(3)
    await appender.close()
  })

  it('refuses both groups when the sync of the first fails while the second was written, cuts the file back to the first, and takes appends again', async () => {
    const dir = tempDir('spool-append-')
    const disk = testDisk(dir)
    const { appender, append, backlog, stats } = await openTestAppender(dir, disk)
    const a = append('A')
    await (await disk.nextSync()).ok()
    await a.promise
    const n = append('N')
    const s2 = await disk.nextSync() // covers N
    const n1 = append('M')
    await until(() => disk.log.includes('write M'), 5000, "N+1's write")
    s2.fail()
    // The undo: cut back to N's offset and sync that.
    await (await disk.nextSync()).ok()
    await expect(n.promise).rejects.toMatchObject({ name: 'StorageUnavailableError', reason: 'failed' })
    await expect(n1.promise).rejects.toMatchObject({ name: 'StorageUnavailableError', reason: 'failed' })
    const nOffset = HEAD_BYTES + FRAME
    expect(disk.log).toContain(`truncate ${nOffset}`)
    expect(statSync(join(dir, segmentName(1))).size).toBe(nOffset)
    // Neither is in the backlog or counted as appended; the mark stays at A's end.
    expect(backlog).toMatchObject({ rows: 1, bytes: FRAME })
    expect(appender.mark()).toMatchObject({ seq: 1, end: nOffset, rows: 1 })
    expect(stats).toMatchObject({ appendedRows: 1, writeFailures: 1 })
    expect(appender.failed()).toBeUndefined()
    // The cut was made and synced: the next append goes where N was.
    const after = append('D')
    await (await disk.nextSync()).ok()
    await after.promise
    expect(backlog.queue.map((q) => q.offset)).toEqual([HEAD_BYTES, nOffset])
    expect(disk.log.filter((l) => l.startsWith('ack '))).toEqual(['ack A', 'ack D'])
    await appender.close()
  })

  it('after a failed sync it cannot undo, refuses appends until healMs, then takes them in a fresh segment', async () => {
    const dir = tempDir('spool-append-')
    const disk = testDisk(dir)
    const { appender, append, backlog } = await openTestAppender(dir, disk, { healMs: 100 })
    const n = append('N')
    const s1 = await disk.nextSync()
    const n1 = append('M')
    await until(() => disk.log.includes('write M'), 5000, "N+1's write")
    disk.failTruncate = true
    s1.fail()
    await expect(n.promise).rejects.toMatchObject({ reason: 'failed' })
    await expect(n1.promise).rejects.toMatchObject({ reason: 'failed' })
    expect(appender.failed()).toBeDefined()
    await expect(append('X').promise).rejects.toMatchObject({ reason: 'failed' })
    disk.failTruncate = false
    disk.hold = false
    await until(() => append('H').promise.then(() => true, () => false), 5000, 'appends taken again after healMs')
    expect(appender.failed()).toBeUndefined()
    expect(appender.seq()).toBe(2)
    expect(backlog.queue.map((q) => [q.seq, q.offset])).toEqual([[2, HEAD_BYTES]])
    await appender.close()
  })

  it('refuses a group whose write fails while the one before it syncs, and still acknowledges that one', async () => {
    const dir = tempDir('spool-append-')
    const disk = testDisk(dir)
    const { appender, append, backlog } = await openTestAppender(dir, disk)
    const a = append('A')
    const s1 = await disk.nextSync()
    disk.failWrite = true
    const b = append('B')
    // The undo: B's torn bytes cut off and that synced, while A's sync still runs.
    ;(await disk.nextSync()).ok()
    await expect(b.promise).rejects.toMatchObject({ reason: 'failed' })
    expect(disk.log).toContain(`truncate ${HEAD_BYTES + FRAME}`)
    expect(a.state).toBe('waiting')
    disk.failWrite = false
    s1.ok()
    await a.promise
    const c = append('C')
    ;(await disk.nextSync()).ok()
    await c.promise
    expect(backlog.queue.map((q) => q.offset)).toEqual([HEAD_BYTES, HEAD_BYTES + FRAME])
    expect(statSync(join(dir, segmentName(1))).size).toBe(HEAD_BYTES + 2 * FRAME)
    await appender.close()
  })

  it('never writes a frame that takes the disk below its reserve, though the spool fills it between two looks at it', async () => {
    const dir = tempDir('spool-append-')
    const capacity = 600 * 1024
    const minFreeBytes = 100 * 1024
    const disk = testDisk(dir, capacity)
    disk.hold = false
    const { appender, append, stats } = await openTestAppender(dir, disk, { minFreeBytes, diskCheckBytes: 64 * 1024, diskCheckMs: 60_000 })
    let refused = 0
    // Rounds of 20 appends at once of 1 KiB each, until the disk is at its reserve.
    for (let round = 0; round < 40 && refused === 0; round++) {
      const ts = Array.from({ length: 20 }, (_, i) => append(String.fromCharCode(65 + (i % 26)), 1024))
      const out = await Promise.allSettled(ts.map((t) => t.promise))
      refused += out.filter((o) => o.status === 'rejected').length
    }
    expect(refused).toBeGreaterThan(0)
    expect(stats.diskRefusedRows).toBe(refused)
    expect(appender.lowOnDisk()).toBe(true)
    expect(capacity - disk.used()).toBeGreaterThanOrEqual(minFreeBytes)
    expect(disk.leastFree).toBeGreaterThanOrEqual(minFreeBytes)
    // Far fewer looks than frames: one per 64 KiB written, and one per refused attempt.
    const frames = stats.appendedRows
    expect(frames).toBeGreaterThan(300)
    expect(disk.statfs).toBeLessThan(frames / 10)
    await appender.close()
  })
})
