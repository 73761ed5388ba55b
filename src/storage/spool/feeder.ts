// The spool's feed half: one insert at a time, whole frames of one segment, oldest first, each
// with a token from the spool id and its byte range, recorded in the intent log before it starts.
// Rows ClickHouse refuses for their data are isolated and dead-lettered (poison.ts); inserted
// segments are deleted, damaged ones moved aside. Once stopped, it starts no insert again.
import { renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { errorFields } from '../../observability/log-error.ts'
import { isDataError, splitInsert } from '../commit/poison.ts'
import { splitRows, type RowsFormat } from '../rows/rows-format.ts'
import { deadLetterRows } from './dead-letter-file.ts'
import { damagedName, joinPayloadsSliced, segmentName, type Intent } from './layout.ts'
import { isNoSpace, type FeederRoom } from './feeder-room.ts'
import type { IntentRing, SegmentReader } from './ranges-io.ts'
import type { Chunk } from './replay.ts'
import { monotonicMs } from './monotonic.ts'
import type { SpoolFs } from './spool-fs.ts'
import type { SpoolBacklog, SpoolCounters, SpoolOptions } from './types.ts'

export interface Feeder {
  /** Starts an insert if one is due (or sets the timer for when it is). */
  feed(): void
  /** Resolves when the backlog is empty (or the feeder stopped). */
  drain(): Promise<void>
  /**
   * Resolves true once every frame before byte `end` of segment `seq` is inserted, false if the
   * feeder stops or `ms` pass first; feeds without waiting for company meanwhile.
   */
  fedTo(seq: number, end: number, ms: number): Promise<boolean>
  /** Feeds without waiting for company (the spool is closing). */
  hurry(): void
  /** Starts no insert again; resolves when the insert under way settled or `ms` pass. */
  stop(ms: number): Promise<void>
  failuresInARow(): number
  lastError(): string
  /** With nothing queued and no insert running: deletes (or moves aside) segments before the current one. */
  retireIdle(): Promise<void>
  /** The range last recorded in the intent log, if its insert committed and none runs now. */
  committed(): Intent | undefined
  /** Chunks at the queue's head that the insert under way holds (drop-oldest.ts never drops them). */
  inFlight(): number
  /** Deletes (or moves aside) segments [from, to): drop-oldest.ts gave up every frame in them. */
  retireDropped(from: number, to: number): Promise<void>
}

export interface FeedContext {
  opts: SpoolOptions
  fs: SpoolFs
  /** The spool's id, the first part of every insert token. */
  id: string
  backlog: SpoolBacklog
  stats: SpoolCounters
  intents: IntentRing
  reader: SegmentReader
  /** Segments with damage found at open: moved aside once fed. */
  damaged: Set<number>
  /** The segment appends go to: never retired. */
  currentSeq(): number
  /** Segments were deleted or moved aside: space may be back. */
  onRetired?(): void
  /** Everything is inserted, but the current segment holds it (it is never retired). */
  onCaughtUp?(): void
  /** Room on the disk kept for inserts, given back when one fails for want of space. */
  room?: FeederRoom
  /**
   * Resolves once every drop so far is synced (drop-oldest.ts): awaited before segments are
   * deleted; rejects once one could not be, and then none is deleted until the next start.
   */
  dropsRecorded?(): Promise<void>
}

/** Thrown inside an insert's steps once the feeder has stopped: the range stays for the replay. */
class Stopped extends Error {}

/** What the feeder's steps share. */
interface FeedState {
  inserting?: Promise<void>
  timer?: NodeJS.Timeout
  /** drain() calls waiting for an empty backlog. */
  waiters: (() => void)[]
  /** fedTo() calls waiting for the backlog's head to pass their place. */
  marks: { seq: number; end: number; resolve(fed: boolean): void }[]
  /** Closing: no waiting for company, retries after 50 ms. */
  hurried: boolean
  stopped: boolean
  inARow: number
  lastError: string
  /** Segments found missing: counted once, not moved aside. */
  vanished: Set<number>
  /** A segment retireIdle() could not retire then: the next insert's retirement starts there. */
  retireFrom?: number
  /** The last recorded range, once its insert committed (a clean stop marks it done). */
  committed?: Intent
  /** Chunks at the queue's head the insert under way holds (one, once it failed: its fixed range). */
  flying: number
}

export function createFeeder(ctx: FeedContext): Feeder {
  const { opts, backlog } = ctx
  const { queue } = backlog
  const st: FeedState = { waiters: [], marks: [], hurried: false, stopped: false, inARow: 0, lastError: '', vanished: new Set(), flying: 0 }

  function feed(): void {
    if (st.stopped) return
    settleMarks(st, queue)
    if (st.inserting || queue.length === 0) {
      if (!st.inserting && queue.length === 0) for (const d of st.waiters.splice(0)) d()
      return
    }
    const wait = queue[0]!.since + opts.feedDelayMs - monotonicMs()
    if (backlog.rows < opts.insertRows && wait > 0 && !st.hurried && st.waiters.length === 0 && st.marks.length === 0) {
      st.timer ??= setTimeout(() => {
        st.timer = undefined
        feed()
      }, wait)
      st.timer.unref()
      return
    }
    if (st.timer) clearTimeout(st.timer)
    st.timer = undefined
    const take: Chunk[] = [queue[0]!]
    let rows = take[0]!.rows
    for (let i = 1; i < queue.length && !take[0]!.fixed; i++) {
      const c = queue[i]!
      if (c.seq !== take[0]!.seq || c.fixed || c.format !== take[0]!.format || rows + c.rows > opts.insertRows) break
      take.push(c)
      rows += c.rows
    }
    const range: Intent = { seq: take[0]!.seq, start: take[0]!.offset, end: take[take.length - 1]!.end }
    if (take[0]!.fixed) ctx.stats.retries++
    st.flying = take.length
    st.inserting = insertRange(ctx, st, range, take.length, rows, !take[0]!.fixed, take[0]!.format).finally(() => {
      st.inserting = undefined
      st.flying = 0
      feed()
    })
  }

  return {
    feed,
    drain: () =>
      new Promise<void>((resolve) => {
        if (st.stopped) return resolve()
        st.waiters.push(resolve)
        feed()
      }),
    fedTo(seq, end, ms) {
      if (st.stopped) return Promise.resolve(false)
      return new Promise<boolean>((resolve) => {
        // Given up after `ms` (the store down): taken off the list, so the feeder waits for
        // company again and late requests retried through an outage leave nothing behind.
        const mark = { seq, end, resolve: (fed: boolean) => (clearTimeout(timer), resolve(fed)) }
        const timer = setTimeout(() => {
          st.marks = st.marks.filter((m) => m !== mark)
          resolve(false)
        }, ms)
        timer.unref()
        st.marks.push(mark)
        feed()
      })
    },
    hurry() {
      st.hurried = true
      feed()
    },
    async stop(ms) {
      st.stopped = true
      if (st.timer) clearTimeout(st.timer)
      st.timer = undefined
      for (const d of st.waiters.splice(0)) d()
      for (const m of st.marks.splice(0)) m.resolve(false)
      // With `stopped` set, an insert under way returns after its current step; only an insert
      // already inside ClickHouse can outlast `ms` (the write path keeps storage open for it).
      let t: NodeJS.Timeout | undefined
      await Promise.race([st.inserting, new Promise((r) => (t = setTimeout(r, ms)))])
      clearTimeout(t)
    },
    failuresInARow: () => st.inARow,
    lastError: () => st.lastError,
    committed: () => (st.inserting ? undefined : st.committed),
    inFlight: () => st.flying,
    async retireDropped(from, to) {
      for (let s = from; s < Math.min(to, ctx.currentSeq()); s++) await retire(ctx, st, s)
      if (to > from) ctx.onRetired?.()
    },
    async retireIdle() {
      if (ctx.dropsRecorded && !(await keptSafe(ctx.dropsRecorded))) return
      const from = st.committed?.seq
      if (from === undefined || st.stopped) return
      if (st.inserting || queue.length > 0) return void (st.retireFrom = Math.min(from, st.retireFrom ?? from))
      const to = ctx.currentSeq()
      for (let s = from; s < to; s++) await retire(ctx, st, s)
      if (to > from) ctx.onRetired?.()
    },
  }
}

/** Resolves the fedTo() calls whose place the backlog's head has passed (the queue is in order). */
function settleMarks(st: FeedState, queue: readonly Chunk[]): void {
  if (st.marks.length === 0) return
  const head = queue[0]
  const left: FeedState['marks'] = []
  for (const m of st.marks) {
    if (!head || head.seq > m.seq || (head.seq === m.seq && head.offset >= m.end)) m.resolve(true)
    else left.push(m)
  }
  st.marks = left
}

/** Each step of an insert checks this after its await: close() may have returned meanwhile. */
function live(st: FeedState): void {
  if (st.stopped) throw new Stopped()
}

async function insertRange(ctx: FeedContext, st: FeedState, range: Intent, chunks: number, rows: number, first: boolean, format: RowsFormat): Promise<void> {
  const { opts, stats, backlog } = ctx
  const token = `${ctx.id}:${range.seq}:${range.start}-${range.end}`
  const insert = (body: Buffer, n: number, t: string, isFirst: boolean) => {
    live(st)
    return opts.insert(body, n, t, isFirst, format)
  }
  st.committed = undefined
  try {
    await ctx.intents.record(range)
    live(st)
    const body = await readRange(ctx, st, range, rows)
    if (body.length > 0) {
      try {
        await insert(body, rows, token, first)
      } catch (e) {
        if (!isDataError(e)) throw e
        // ClickHouse refused the range for its data: isolate the refused rows (poison.ts).
        const lines = splitRows(body, format)
        const insertLines = (ls: Buffer[], t: string) => insert(Buffer.concat(ls), ls.length, t, false)
        if (lines.length === 1) await deadLetterRows(ctx.opts, token, format)(lines, errorFields(e).message)
        stats.deadLetteredRows += lines.length === 1 ? 1 : await splitInsert(lines, token, insertLines, deadLetterRows(ctx.opts, token, format))
      }
    }
    live(st)
  } catch (e) {
    // Stopped: the range is left as it is, for the next open's replay (same range, same token).
    if (e instanceof Stopped) return
    stats.failedInserts++
    st.inARow++
    st.lastError = errorFields(e).message
    opts.onInsertError?.(e)
    // The insert may have committed after all (a timeout): retry exactly this range, never a
    // longer one, so the token stays the same.
    backlog.queue.splice(0, chunks, { seq: range.seq, offset: range.start, end: range.end, rows, since: backlog.queue[0]?.since ?? 0, fixed: true, format })
    st.flying = 1
    // Short of space (the store on the spool's disk): the room kept for it goes back to the disk
    // and the same range is tried again at once; that insert lets the feeder delete segments.
    const roomGiven = isNoSpace(e) && (await ctx.room?.release().catch(() => false))
    await new Promise((res) => setTimeout(res, st.hurried || roomGiven ? 50 : (opts.retryMs ?? 1000)).unref())
    return
  }
  st.inARow = 0
  st.committed = range
  backlog.queue.splice(0, chunks)
  st.flying = 0
  stats.inserts++
  stats.insertedRows += rows
  backlog.rows -= rows
  backlog.bytes -= range.end - range.start
  // A segment that is no longer written to and has nothing left to insert is done: deleted,
  // or moved aside if it had damage (never deleted: an operator may want to look at it).
  if (ctx.dropsRecorded && !(await keptSafe(ctx.dropsRecorded))) return
  const next = backlog.queue[0]?.seq ?? ctx.currentSeq()
  const from = Math.min(range.seq, st.retireFrom ?? range.seq)
  st.retireFrom = undefined
  for (let s = from; s < next; s++) await retire(ctx, st, s)
  if (next > from) ctx.onRetired?.()
  else if (backlog.queue.length === 0) ctx.onCaughtUp?.()
}

/** False when a drop of the oldest rows could not be recorded: its frames' segments must stay. */
const keptSafe = (recorded: () => Promise<void>): Promise<boolean> => recorded().then(() => true, () => false)

/** Counts and reports bytes and rows a segment lost; the segment itself once (`seen`). */
function lost(ctx: FeedContext, seen: Set<number>, seq: number, bytes: number, rows: number, segment: string): void {
  if (!seen.has(seq)) {
    seen.add(seq)
    ctx.stats.corruptSegments++
  }
  ctx.stats.corruptBytes += bytes
  ctx.stats.corruptRows += rows
  ctx.opts.onDamage?.({ segment, corruptBytes: bytes, corruptRows: rows })
}

/** The valid frames' payloads of a range, read from disk (frames are never kept in memory). */
async function readRange(ctx: FeedContext, st: FeedState, range: Intent, rows: number): Promise<Buffer> {
  const scan = await ctx.reader.read(range)
  if (!scan) {
    // The segment was deleted from under the spool (by hand, or by another process given the
    // same directory). Retrying cannot bring it back and would hold up every later segment
    // forever; a restart's replay would not find it either. Counted and reported as lost.
    lost(ctx, st.vanished, range.seq, range.end - range.start, rows, `${segmentName(range.seq)} (missing)`)
    return Buffer.alloc(0)
  }
  if (scan.corruptBytes > 0 && !ctx.damaged.has(range.seq)) lost(ctx, ctx.damaged, range.seq, scan.corruptBytes, scan.corruptRows, segmentName(range.seq))
  return joinPayloadsSliced(scan)
}

async function retire(ctx: FeedContext, st: FeedState, s: number): Promise<void> {
  const { dir } = ctx.opts
  await ctx.reader.done(s)
  const gone = st.vanished.delete(s)
  if (ctx.damaged.delete(s) && !gone) {
    ctx.stats.damagedSegments++
    renameSync(join(dir, segmentName(s)), join(dir, damagedName(s)))
    await ctx.fs.syncDir(dir).catch(() => undefined)
  } else rmSync(join(dir, segmentName(s)), { force: true })
}
