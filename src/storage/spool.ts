// Local write-ahead spool (DESIGN.md durability rule): anonymised rows are appended to a segment
// file and fdatasync'd, which is what a 202 waits for; a feeder then inserts them into ClickHouse
// in large batches, whose fixed cost (tens of ms with the materialized views) is then paid once
// per many requests. Appends of concurrent requests share one write and one sync (group commit).
// Every insert carries a token from the spool id, segment and byte range, written to an intent
// log before the insert starts; a replay after a crash re-inserts exactly that range with the
// same token, which ClickHouse deduplicates (insert_deduplication_token,
// https://clickhouse.com/docs/operations/settings/settings#insert_deduplication_token), then
// goes on. Segments are deleted once inserted; the spool is bounded in bytes (503 when full).
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { StorageUnavailableError } from './writer.ts'
import {
  FRAME_HEADER_BYTES, INTENT_BYTES, encodeIntent, frameHeader, lastIntent, listSegments, readFrames, segmentName, spoolId, type Intent,
} from './spool-files.ts'

export interface SpoolOptions {
  dir: string
  /** Inserts encoded rows; resolves when committed. The same token must make a replay a no-op. */
  insert(body: Buffer, rows: number, token: string): Promise<void>
  /** Bytes not yet in ClickHouse beyond which appends are refused (503). */
  maxBytes: number
  /** A segment is closed and a new one started past this size. */
  segmentBytes: number
  /** Rows in one insert at most (whole frames: one frame may exceed it). */
  insertRows: number
  /** How long the oldest spooled row waits for company before an insert starts. */
  feedDelayMs: number
  /** Wait after a failed insert before the same range is tried again. */
  retryMs?: number
  onInsertError?(e: unknown): void
}

export interface SpoolStats {
  appendedRows: number
  syncs: number
  inserts: number
  insertedRows: number
  failedInserts: number
  refusedRows: number
  /** Rows found in the spool at open; the last insert's range among them is re-sent as a no-op. */
  replayedRows: number
  /** Segments whose tail was not a whole frame (a write cut short), and the bytes skipped. */
  corruptSegments: number
  corruptBytes: number
  pendingRows: number
  pendingBytes: number
}

export interface Spool {
  /** Resolves once the rows are on disk (fdatasync); rejects with StorageUnavailableError. */
  append(payload: Buffer, rows: number): Promise<void>
  /** Resolves when everything appended so far is in ClickHouse. */
  drain(): Promise<void>
  /** Refuses new appends, inserts what it can within `ms`, closes; the rest is replayed on open. */
  close(ms: number): Promise<void>
  stats(): SpoolStats
}

/** Frames of one segment waiting for ClickHouse; `parts` are their payloads. */
interface Chunk {
  seq: number
  offset: number
  end: number
  rows: number
  parts: Buffer[]
  since: number
  /** The range of the intent found on replay: inserted alone, so its token is the same. */
  fixed?: boolean
}

interface Waiting {
  payload: Buffer
  rows: number
  resolve(): void
  reject(e: Error): void
}

export async function openSpool(opts: SpoolOptions): Promise<Spool> {
  if (opts.maxBytes < opts.segmentBytes) throw new RangeError('maxBytes must be at least segmentBytes')
  if (opts.insertRows < 1) throw new RangeError('insertRows must be at least 1')
  mkdirSync(opts.dir, { recursive: true })
  const id = spoolId(opts.dir)
  const stats = { appendedRows: 0, syncs: 0, inserts: 0, insertedRows: 0, failedInserts: 0, refusedRows: 0, replayedRows: 0, corruptSegments: 0, corruptBytes: 0 }
  const queue: Chunk[] = []
  let pendingRows = 0
  let pendingBytes = 0

  // Replay: segments before the last intent's are in ClickHouse; in its segment, frames before
  // its start are, its range is re-inserted as one chunk with the same token, the rest is new.
  const intentPath = join(opts.dir, 'intents')
  const intent = lastIntent(intentPath)
  let lastSeq = intent?.seq ?? 0
  for (const seq of listSegments(opts.dir)) {
    lastSeq = Math.max(lastSeq, seq)
    const path = join(opts.dir, segmentName(seq))
    if (intent && seq < intent.seq) {
      rmSync(path, { force: true })
      continue
    }
    const { frames, corruptBytes } = readFrames(readFileSync(path))
    if (corruptBytes > 0) {
      stats.corruptSegments++
      stats.corruptBytes += corruptBytes
    }
    for (const f of frames) {
      if (intent && seq === intent.seq && f.end <= intent.start) continue
      const inIntent = intent && seq === intent.seq && f.end <= intent.end
      const head = queue[queue.length - 1]
      if (inIntent && head?.fixed) {
        // Same range as before the crash: one chunk, so the token is the same.
        head.end = f.end
        head.rows += f.rows
        head.parts.push(f.payload)
      } else {
        queue.push({ seq, offset: f.offset, end: f.end, rows: f.rows, parts: [f.payload], since: 0, fixed: Boolean(inIntent) })
      }
      pendingRows += f.rows
      pendingBytes += f.end - f.offset
      stats.replayedRows += f.rows
    }
    if (frames.length === 0) rmSync(path, { force: true })
  }

  // Appends go to a new segment: never after a torn tail.
  let seq = lastSeq + 1
  let fh: FileHandle = await open(join(opts.dir, segmentName(seq)), 'a')
  let size = 0
  // Positional writes: in append mode Linux ignores the position (pwrite(2), BUGS).
  await (await open(intentPath, 'a')).close()
  const intents = await open(intentPath, 'r+')
  let intentsSize = Math.floor((await intents.stat()).size / INTENT_BYTES) * INTENT_BYTES

  let waiting: Waiting[] = []
  let waitingBytes = 0
  let writing = false
  let failed: Error | undefined
  let closing = false
  let closed: Promise<void> | undefined

  async function writeLoop(): Promise<void> {
    writing = true
    while (waiting.length > 0) {
      const group = waiting
      waiting = []
      waitingBytes = 0
      try {
        if (failed) throw failed
        if (size >= opts.segmentBytes) await rotate()
        const payload = group.length === 1 ? group[0]!.payload : Buffer.concat(group.map((w) => w.payload))
        let rows = 0
        for (const w of group) rows += w.rows
        const header = frameHeader(payload, rows)
        const offset = size
        await fh.writev([header, payload])
        await fh.datasync()
        size += FRAME_HEADER_BYTES + payload.length
        stats.syncs++
        stats.appendedRows += rows
        pendingRows += rows
        pendingBytes += FRAME_HEADER_BYTES + payload.length
        queue.push({ seq, offset, end: size, rows, parts: [payload], since: Date.now() })
        for (const w of group) w.resolve()
        feed()
      } catch (cause) {
        // The file's state after a failed write or sync is unknown (a synced torn frame would be
        // replayed as corrupt and skipped, a whole one inserted): refuse further appends until
        // a restart replays what is there, rather than acknowledge on top of it.
        failed ??= new StorageUnavailableError('the spool cannot write to disk', 'failed', { cause })
        for (const w of group) w.reject(failed)
      }
    }
    writing = false
  }

  async function rotate(): Promise<void> {
    await fh.close()
    seq++
    fh = await open(join(opts.dir, segmentName(seq)), 'a')
    size = 0
  }

  // The feeder: one insert at a time, whole frames of one segment, oldest first.
  let inserting: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined
  let drained: (() => void)[] = []

  function feed(): void {
    if (inserting || queue.length === 0) {
      if (!inserting && queue.length === 0) for (const d of drained.splice(0)) d()
      return
    }
    const wait = queue[0]!.since + opts.feedDelayMs - Date.now()
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
      if (c.seq !== take[0]!.seq || rows + c.rows > opts.insertRows) break
      take.push(c)
      rows += c.rows
    }
    const range: Intent = { seq: take[0]!.seq, start: take[0]!.offset, end: take[take.length - 1]!.end }
    inserting = insertRange(range, take, rows).finally(() => {
      inserting = undefined
      feed()
    })
  }

  async function insertRange(range: Intent, taken: Chunk[], rows: number): Promise<void> {
    const token = `${id}:${range.seq}:${range.start}-${range.end}`
    try {
      await recordIntent(range)
      const parts = taken.flatMap((c) => c.parts)
      await opts.insert(parts.length === 1 ? parts[0]! : Buffer.concat(parts), rows, token)
    } catch (e) {
      stats.failedInserts++
      opts.onInsertError?.(e)
      // The insert may have committed after all (a timeout): retry exactly this range, never a
      // longer one, so the token stays the same.
      queue.splice(0, taken.length, { seq: range.seq, offset: range.start, end: range.end, rows, parts: taken.flatMap((c) => c.parts), since: 0, fixed: true })
      await new Promise((r) => setTimeout(r, closing ? 50 : (opts.retryMs ?? 1000)).unref())
      return
    }
    queue.splice(0, taken.length)
    stats.inserts++
    stats.insertedRows += rows
    pendingRows -= rows
    pendingBytes -= range.end - range.start
    // A segment that is no longer written to and has nothing left to insert is done.
    const next = queue[0]?.seq ?? seq
    for (let s = range.seq; s < next; s++) rmSync(join(opts.dir, segmentName(s)), { force: true })
  }

  async function recordIntent(range: Intent): Promise<void> {
    // Intents only grow, and the newest whole record is the one that counts (lastIntent), so
    // the log can start over at offset 0 without a moment in which the newest is missing:
    // the new record is synced first, the stale ones after it are cut off afterwards.
    const wrap = intentsSize >= 1 << 20
    await intents.write(encodeIntent(range), 0, INTENT_BYTES, wrap ? 0 : intentsSize)
    await intents.datasync()
    if (wrap) {
      await intents.truncate(INTENT_BYTES)
      intentsSize = 0
    }
    intentsSize += INTENT_BYTES
  }

  feed()

  return {
    append(payload, rows) {
      if (closing) return Promise.reject(new StorageUnavailableError('the server is shutting down', 'shutdown'))
      if (failed) return Promise.reject(failed)
      if (pendingBytes + waitingBytes + payload.length > opts.maxBytes) {
        stats.refusedRows += rows
        return Promise.reject(new StorageUnavailableError('the spool is full; storage is behind', 'overloaded'))
      }
      return new Promise<void>((resolve, reject) => {
        waiting.push({ payload, rows, resolve, reject })
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
        while (writing) await new Promise((r) => setTimeout(r, 5))
        let deadline: NodeJS.Timeout | undefined
        await Promise.race([
          new Promise<void>((resolve) => {
            drained.push(resolve)
            feed()
          }),
          new Promise<void>((resolve) => (deadline = setTimeout(resolve, ms))),
        ])
        clearTimeout(deadline)
        if (timer) clearTimeout(timer)
        await inserting
        drained = []
        await fh.close()
        await intents.close()
      })()
      return closed
    },
    stats: () => ({ ...stats, pendingRows, pendingBytes }),
  }
}
