// Local write-ahead spool (DESIGN.md durability rule; docs/durability.md): anonymised rows are
// appended to a segment file as checksummed frames and fdatasync'd, which is what a 202 waits
// for; a feeder reads them back from disk and inserts them into ClickHouse in large batches.
// Appends of concurrent requests share one write and one sync (group commit). A write that
// fails or is cut short is truncated away and refused; free space is checked before each write
// so the spool never fills its disk. Every insert carries a token from the spool id, segment
// and byte range, written to an intent log before the insert starts; a replay re-inserts that
// range with the same token, which ClickHouse and its materialized views deduplicate.
import { mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { StorageUnavailableError } from '../commit/writer.ts'
import { appendDeadLetters } from './dead-letter-file.ts'
import { errorLine, isDataError, splitInsert } from '../commit/poison.ts'
import { FRAME_HEADER_BYTES, frameHeader, joinPayloads, segmentName, damagedName, spoolId, type Intent } from './layout.ts'
import { createSegmentReader, openIntentRing } from './ranges-io.ts'
import { nodeSpoolFs, writeAll, writeAllParts, type SpoolFile, type SpoolFs } from './spool-fs.ts'
import { rowAsJson, splitRows, type RowsFormat } from '../rows/rows-format.ts'
import { replaySpool, type Chunk } from './replay.ts'
import { lockSpoolDir, type SpoolLock } from './lock.ts'
import type { Spool, SpoolOptions } from './types.ts'

/**
 * The spool's waits and ages (feed delay, heal time, stop budget, oldest unfed frame) run on
 * the monotonic clock: on Date.now() a wall clock set back a day stalled the feeder for a day
 * (it waited `since + delay - now`) while the oldest frame's age read 0 (issue 24).
 */
const monotonicMs = () => performance.now()

export type { Spool, SpoolHealth, SpoolOptions, SpoolStats } from './types.ts'

interface Waiting {
  payload: Buffer
  rows: number
  format: RowsFormat
  resolve(): void
  reject(e: Error): void
}

export async function openSpool(opts: SpoolOptions): Promise<Spool> {
  if (opts.maxBytes < opts.segmentBytes) throw new RangeError('maxBytes must be at least segmentBytes')
  if (opts.insertRows < 1) throw new RangeError('insertRows must be at least 1')
  mkdirSync(opts.dir, { recursive: true })
  // Before anything reads the directory: another live process's segments are not ours to replay.
  const lock = await lockSpoolDir(opts.dir, { staleMs: opts.lockStaleMs, onLost: opts.onLockLost })
  try {
    return await openLocked(opts, lock)
  } catch (e) {
    lock.release()
    throw e
  }
}

async function openLocked(opts: SpoolOptions, lock: SpoolLock): Promise<Spool> {
  const fs = opts.fs ?? nodeSpoolFs
  const { dir } = opts
  const minFree = opts.minFreeBytes ?? 0
  const id = spoolId(dir)
  const intentPath = join(dir, 'intents')
  const r = replaySpool(dir, intentPath, monotonicMs() - opts.feedDelayMs, opts.onReplayFrame)
  const queue = r.queue
  const damaged = r.damaged
  const vanished = new Set<number>()
  const stats = {
    appendedRows: 0, syncs: 0, inserts: 0, insertedRows: 0, failedInserts: 0, refusedRows: 0, diskRefusedRows: 0, writeFailures: 0,
    replayedRows: r.rows, corruptSegments: r.corruptSegments, corruptBytes: r.corruptBytes, corruptRows: r.corruptRows,
    damagedSegments: 0, deadLetteredRows: 0,
  }
  if (r.corruptSegments > 0) opts.onDamage?.({ segment: `${r.corruptSegments} segment(s) at open`, corruptBytes: r.corruptBytes, corruptRows: r.corruptRows })
  let pendingRows = r.rows
  let pendingBytes = r.bytes
  let insertFailuresInARow = 0
  let lastInsertError = ''
  let lowOnDisk = false

  const intents = await openIntentRing(fs, intentPath, r.intentSlot)
  const reader = createSegmentReader(fs, dir)

  // Appends go to a new segment: never after a torn tail.
  let seq = r.lastSeq
  let fh!: SpoolFile
  let size = 0
  async function rotate(): Promise<void> {
    const next = await fs.open(join(dir, segmentName(seq + 1)), 'w')
    // The new name survives a power loss before anything is acknowledged in it. If the sync
    // fails (a failing disk, retried after healMs), the new file is closed, not leaked.
    await fs.syncDir(dir).catch(async (e: unknown) => {
      await next.close().catch(() => undefined)
      throw e
    })
    await fh?.close().catch(() => undefined)
    fh = next
    seq++
    size = 0
  }
  try {
    await rotate()
  } catch (e) {
    await intents.close()
    throw e
  }

  let waiting: Waiting[] = []
  let waitingBytes = 0
  let writing = false
  let failed: { error: StorageUnavailableError; at: number } | undefined
  let closing = false
  let closed: Promise<void> | undefined

  async function writeGroup(parts: Buffer[], payloadBytes: number, rows: number, format: RowsFormat): Promise<void> {
    if (failed) {
      if (monotonicMs() - failed.at < (opts.healMs ?? 5000)) throw failed.error
      await rotate() // the disk may work again: start afresh; the old segment's good frames are still queued
      failed = undefined
    }
    if (size >= opts.segmentBytes) await rotate()
    const bytes = FRAME_HEADER_BYTES + payloadBytes
    // Checked before every write, not after a failure: a frame never fills the disk, so the
    // intent log, the dead-letter file and ClickHouse (often on the same disk) keep room.
    const free = await fs.freeBytes(dir)
    lowOnDisk = free - bytes < minFree
    if (lowOnDisk) {
      stats.diskRefusedRows += rows
      throw new StorageUnavailableError('the spool disk is nearly full', 'overloaded')
    }
    const offset = size
    try {
      // The header and every request's payload in one writev: no copy into one buffer.
      await writeAllParts(fh, [frameHeader(parts, rows, format), ...parts], offset)
      await fh.datasync()
    } catch (cause) {
      stats.writeFailures++
      // Whatever reached the file is cut off again, so no torn frame is ever followed by an
      // acknowledged one; if even that fails, appends stop until a fresh segment can be made.
      const undone = await fh.truncate(offset).then(() => fh.datasync()).then(() => true, () => false)
      const error = new StorageUnavailableError(`the spool cannot write to disk (${errorLine(cause)})`, 'failed', { cause })
      if (!undone) failed = { error, at: monotonicMs() }
      throw error
    }
    size += bytes
    stats.syncs++
    stats.appendedRows += rows
    pendingRows += rows
    pendingBytes += bytes
    queue.push({ seq, offset, end: size, rows, since: monotonicMs(), format })
  }

  async function writeLoop(): Promise<void> {
    writing = true
    while (waiting.length > 0) {
      // One frame holds one format: the waiting appends of the first one's format, in order.
      const format = waiting[0]!.format
      const group = waiting.every((w) => w.format === format) ? waiting : waiting.filter((w) => w.format === format)
      waiting = group === waiting ? [] : waiting.filter((w) => w.format !== format)
      let rows = 0
      let bytes = 0
      for (const w of group) {
        rows += w.rows
        bytes += w.payload.length
      }
      waitingBytes -= bytes
      try {
        await writeGroup(group.map((w) => w.payload), bytes, rows, format)
        for (const w of group) w.resolve()
        feed()
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e))
        for (const w of group) w.reject(err)
      }
    }
    writing = false
  }

  // The feeder: one insert at a time, whole frames of one segment, oldest first.
  let inserting: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined
  let drained: (() => void)[] = []
  // Set once close() has given up on the feeder: an insert left behind must not start another
  // (retrying against closed files forever, every 50 ms, in a process that keeps running).
  let stopped = false

  function feed(): void {
    if (stopped) return
    if (inserting || queue.length === 0) {
      if (!inserting && queue.length === 0) for (const d of drained.splice(0)) d()
      return
    }
    const wait = queue[0]!.since + opts.feedDelayMs - monotonicMs()
    if (pendingRows < opts.insertRows && wait > 0 && !closing && drained.length === 0) {
      timer ??= setTimeout(() => {
        timer = undefined
        feed()
      }, wait)
      timer.unref()
      return
    }
    if (timer) clearTimeout(timer)
    timer = undefined
    const take: Chunk[] = [queue[0]!]
    let rows = take[0]!.rows
    for (let i = 1; i < queue.length && !take[0]!.fixed; i++) {
      const c = queue[i]!
      if (c.seq !== take[0]!.seq || c.fixed || c.format !== take[0]!.format || rows + c.rows > opts.insertRows) break
      take.push(c)
      rows += c.rows
    }
    const range: Intent = { seq: take[0]!.seq, start: take[0]!.offset, end: take[take.length - 1]!.end }
    inserting = insertRange(range, take.length, rows, !take[0]!.fixed, take[0]!.format).finally(() => {
      inserting = undefined
      feed()
    })
  }

  /** Counts and reports bytes and rows a segment lost; the segment itself once (`seen`). */
  function lost(seen: Set<number>, seq: number, bytes: number, rows: number, segment: string): void {
    if (!seen.has(seq)) {
      seen.add(seq)
      stats.corruptSegments++
    }
    stats.corruptBytes += bytes
    stats.corruptRows += rows
    opts.onDamage?.({ segment, corruptBytes: bytes, corruptRows: rows })
  }

  /** The valid frames' payloads of a range, read from disk (frames are never kept in memory). */
  async function readRange(range: Intent, rows: number): Promise<Buffer> {
    const scan = await reader.read(range)
    if (!scan) {
      // The segment was deleted from under the spool (by hand, or by another process given the
      // same directory). Retrying cannot bring it back and would hold up every later segment
      // forever; a restart's replay would not find it either. Counted and reported as lost.
      lost(vanished, range.seq, range.end - range.start, rows, `${segmentName(range.seq)} (missing)`)
      return Buffer.alloc(0)
    }
    if (scan.corruptBytes > 0 && !damaged.has(range.seq)) lost(damaged, range.seq, scan.corruptBytes, scan.corruptRows, segmentName(range.seq))
    return joinPayloads(scan)
  }

  async function insertRange(range: Intent, chunks: number, rows: number, first: boolean, format: RowsFormat): Promise<void> {
    const token = `${id}:${range.seq}:${range.start}-${range.end}`
    try {
      await intents.record(range)
      const body = await readRange(range, rows)
      if (body.length > 0) {
        try {
          await opts.insert(body, rows, token, first, format)
        } catch (e) {
          if (!isDataError(e)) throw e
          // ClickHouse refused the range for its data: isolate the refused rows (poison.ts).
          const lines = splitRows(body, format)
          const insertLines = (ls: Buffer[], t: string) => opts.insert(Buffer.concat(ls), ls.length, t, false, format)
          if (lines.length === 1) await deadLetter(token, format)(lines, errorLine(e))
          stats.deadLetteredRows += lines.length === 1 ? 1 : await splitInsert(lines, token, insertLines, deadLetter(token, format))
        }
      }
    } catch (e) {
      stats.failedInserts++
      insertFailuresInARow++
      lastInsertError = errorLine(e)
      opts.onInsertError?.(e)
      // The insert may have committed after all (a timeout): retry exactly this range, never a
      // longer one, so the token stays the same.
      queue.splice(0, chunks, { seq: range.seq, offset: range.start, end: range.end, rows, since: queue[0]?.since ?? 0, fixed: true, format })
      await new Promise((res) => setTimeout(res, closing ? 50 : (opts.retryMs ?? 1000)).unref())
      return
    }
    insertFailuresInARow = 0
    queue.splice(0, chunks)
    stats.inserts++
    stats.insertedRows += rows
    pendingRows -= rows
    pendingBytes -= range.end - range.start
    // A segment that is no longer written to and has nothing left to insert is done: deleted,
    // or moved aside if it had damage (never deleted: an operator may want to look at it).
    const next = queue[0]?.seq ?? seq
    for (let s = range.seq; s < next; s++) await retire(s)
  }

  /** Dead letters are JSON lines whatever the frame's format, so an operator can read them. */
  function deadLetter(token: string, format: RowsFormat) {
    return async (items: Buffer[], reason: string) => {
      const lines = items.map((r) => Buffer.from(rowAsJson(r, format) + '\n', 'utf8'))
      await appendDeadLetters(dir, lines, reason, token)
      opts.onDeadLetter?.(lines, reason)
    }
  }

  async function retire(s: number): Promise<void> {
    await reader.done(s)
    const gone = vanished.delete(s)
    if (damaged.delete(s) && !gone) {
      stats.damagedSegments++
      renameSync(join(dir, segmentName(s)), join(dir, damagedName(s)))
      await fs.syncDir(dir).catch(() => undefined)
    } else rmSync(join(dir, segmentName(s)), { force: true })
  }

  feed()

  return {
    append(payload, rows, format = 'JSONCompactEachRow') {
      if (closing) return Promise.reject(new StorageUnavailableError('the server is shutting down', 'shutdown'))
      if (failed && monotonicMs() - failed.at < (opts.healMs ?? 5000)) return Promise.reject(failed.error)
      if (pendingBytes + waitingBytes + payload.length > opts.maxBytes) {
        stats.refusedRows += rows
        return Promise.reject(new StorageUnavailableError('the spool is full; storage is behind', 'overloaded'))
      }
      return new Promise<void>((resolve, reject) => {
        waiting.push({ payload, rows, format, resolve, reject })
        waitingBytes += payload.length
        if (!writing) void writeLoop()
      })
    },
    drain() {
      return new Promise<void>((resolve) => {
        drained.push(resolve)
        feed()
      })
    },
    close(ms) {
      closed ??= (async () => {
        closing = true
        const end = monotonicMs() + ms
        const left = () => Math.max(0, end - monotonicMs())
        // Everything here is bounded by `ms`: a write or insert that hangs is left behind, and
        // what it held is replayed on the next open.
        while (writing && left() > 0) await new Promise((res) => setTimeout(res, 5))
        let deadline: NodeJS.Timeout | undefined
        await Promise.race([
          new Promise<void>((resolve) => {
            drained.push(resolve)
            feed()
          }),
          new Promise<void>((resolve) => (deadline = setTimeout(resolve, left()))),
        ])
        clearTimeout(deadline)
        if (timer) clearTimeout(timer)
        await Promise.race([inserting, new Promise((res) => setTimeout(res, left()).unref())])
        stopped = true
        drained = []
        try {
          await reader.close()
          await fh.close().catch(() => undefined)
          await intents.close()
        } finally {
          lock.release()
        }
      })()
      return closed
    },
    stats: () => ({ ...stats, pendingRows, pendingBytes, oldestUnfedMs: queue.length ? Math.max(0, monotonicMs() - queue[0]!.since) : 0, failed: failed !== undefined, insertFailuresInARow }),
    health() {
      if (failed) return { reason: 'failed', message: failed.error.message }
      if (lowOnDisk) return { reason: 'disk_low', message: 'the spool disk is nearly full' }
      if (pendingBytes > 0.9 * opts.maxBytes) return { reason: 'nearly_full', message: `the spool holds ${pendingBytes} of ${opts.maxBytes} bytes` }
      if (insertFailuresInARow >= 3) return { reason: 'feeder_failing', message: `inserts into ClickHouse keep failing: ${lastInsertError}` }
      return undefined
    },
  }
}
