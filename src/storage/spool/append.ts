// The spool's append half: concurrent appends share one write and one fdatasync (group commit),
// one frame per format; segments rotate past their size; free space is checked before every
// write so a frame never fills the disk; a write that fails is cut off again and refused.
import { join } from 'node:path'
import { StorageUnavailableError } from '../commit/writer.ts'
import { errorFields } from '../../observability/log-error.ts'
import type { RowsFormat } from '../rows/rows-format.ts'
import { FRAME_HEADER_BYTES, frameHeader, segmentName } from './layout.ts'
import { HEAD_BYTES, encodeHead, type Seal } from './segment-head.ts'
import { writeAll, writeAllParts, type SpoolFile, type SpoolFs } from './spool-fs.ts'
import type { AckMark, SealRing } from './ledger.ts'
import { monotonicMs } from './monotonic.ts'
import type { SpoolBacklog, SpoolCounters, SpoolOptions } from './types.ts'

interface Waiting {
  payload: Buffer
  rows: number
  format: RowsFormat
  resolve(): void
  reject(e: Error): void
}

export interface Appender {
  /** Resolves once the rows are synced; rejects with StorageUnavailableError. */
  append(payload: Buffer, rows: number, format: RowsFormat): Promise<void>
  /** The segment being written to (the feeder retires only those before it). */
  seq(): number
  /** How far appends are synced: recorded with each intent (ledger.ts). */
  mark(): AckMark
  /** Set after a write the spool could not undo, until a fresh segment works. */
  failed(): StorageUnavailableError | undefined
  lowOnDisk(): boolean
  /**
   * Starts a fresh segment if the current one has frames and no write is under way, so the
   * feeder can delete the current one once inserted (a disk at its reserve takes no append that
   * would rotate); false when it did not.
   */
  rotateIdle(): Promise<boolean>
  /** Looks at the disk again (the feeder deleted segments): /readyz clears without waiting for an append. */
  recheckDisk(): Promise<void>
  /** Refuses new appends; resolves when the write under way is done or `ms` pass. */
  refuse(ms: number): Promise<void>
  /** Closes; after a clean stop (`seal`), first seals the last segment in a fresh one's head. */
  close(seal?: boolean): Promise<void>
}

export interface AppendContext {
  opts: SpoolOptions
  fs: SpoolFs
  backlog: SpoolBacklog
  stats: SpoolCounters
  /** The highest segment number on disk: appends go to a new one, never after a torn tail. */
  lastSeq: number
  /** That segment as found on disk and the seals its head held, newest first: the new one's head (segment-head.ts). */
  lastSeals: Seal[]
  /** Called after each synced frame (the feeder may start). */
  onFramed(): void
  /** Where each segment's seal is recorded when it is closed (ledger.ts); none if it could not be made. */
  seals?: SealRing
  /**
   * With SpoolOptions.full 'drop-oldest' (drop-oldest.ts): frees at least `bytes` of the backlog,
   * resolving once recorded; undefined when it cannot, and the append is refused.
   */
  makeRoom?(bytes: number): Promise<void> | undefined
}

/**
 * What openAppender's methods and the write steps below share: the segment being written to,
 * a write the spool could not undo, and whether the disk is at its reserve.
 */
interface AppendState {
  /** Derived from the options once: how long a failed write refuses appends, the disk's reserve. */
  readonly healMs: number
  readonly minFree: number
  seq: number
  fh: SpoolFile | undefined
  size: number
  /** The current segment's frames and rows, sealed in the next segment's head. */
  frames: number
  rowsIn: number
  /** The seals in the current segment's head. */
  sealed: Seal[]
  failed: { error: StorageUnavailableError; at: number } | undefined
  lowOnDisk: boolean
}

export async function openAppender(ctx: AppendContext): Promise<Appender> {
  const { opts, fs, backlog, stats } = ctx
  const { dir } = opts
  const st: AppendState = {
    healMs: opts.healMs ?? 5000,
    minFree: opts.minFreeBytes ?? 0,
    seq: ctx.lastSeq,
    fh: undefined,
    size: 0,
    frames: 0,
    rowsIn: 0,
    sealed: [],
    failed: undefined,
    lowOnDisk: false,
  }
  let waiting: Waiting[] = []
  let waitingBytes = 0
  let writing: Promise<void> | undefined
  let refusing = false

  await rotate(ctx, st)

  async function writeLoop(): Promise<void> {
    while (waiting.length > 0) {
      const { group, rest, format, rows, bytes } = nextGroup(waiting)
      waiting = rest
      waitingBytes -= bytes
      try {
        await writeGroup(ctx, st, group.map((w) => w.payload), bytes, rows, format)
        for (const w of group) w.resolve()
        ctx.onFramed()
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e))
        for (const w of group) w.reject(err)
      }
    }
    writing = undefined
  }

  return {
    append(payload, rows, format) {
      if (refusing) return Promise.reject(new StorageUnavailableError('the server is shutting down', 'shutdown'))
      if (st.failed && monotonicMs() - st.failed.at < st.healMs) return Promise.reject(st.failed.error)
      const over = backlog.bytes + waitingBytes + payload.length - opts.maxBytes
      const room = over > 0 ? ctx.makeRoom?.(over) : undefined
      if (over > 0 && !room) {
        stats.refusedRows += rows
        return Promise.reject(new StorageUnavailableError('the spool is full; storage is behind', 'overloaded'))
      }
      const enqueue = () =>
        new Promise<void>((resolve, reject) => {
          waiting.push({ payload, rows, format, resolve, reject })
          writing ??= writeLoop()
        })
      // Counted as waiting at once, so appends meanwhile see the bytes it will take.
      waitingBytes += payload.length
      if (!room) return enqueue()
      return room.then(enqueue, (cause: unknown) => {
        waitingBytes -= payload.length
        stats.refusedRows += rows
        throw new StorageUnavailableError('the spool is full and could not record dropping its oldest rows', 'overloaded', { cause })
      })
    },
    seq: () => st.seq,
    mark: () => ({ seq: st.seq, end: st.size, rows: st.rowsIn }),
    failed: () => st.failed?.error,
    lowOnDisk: () => st.lowOnDisk,
    rotateIdle() {
      if (writing || st.frames === 0 || refusing || st.failed) return Promise.resolve(false)
      const done = rotate(ctx, st).then(() => true, () => false)
      // Held as the write under way, so appends meanwhile wait for the new segment.
      writing = done.then(() => {
        writing = waiting.length > 0 ? writeLoop() : undefined
      })
      return done
    },
    async recheckDisk() {
      if (st.lowOnDisk) st.lowOnDisk = (await fs.freeBytes(dir).catch(() => 0)) < st.minFree
    },
    async refuse(ms) {
      refusing = true
      // A write that hangs is left behind: what it held was never acknowledged.
      let t: NodeJS.Timeout | undefined
      await Promise.race([writing, new Promise((r) => (t = setTimeout(r, ms)))])
      clearTimeout(t)
    },
    close: async (seal) => {
      // Sealing the last segment lets the next start see it deleted or cut while stopped, too.
      if (seal && st.frames > 0 && !st.failed) await rotate(ctx, st).catch(() => undefined)
      await st.fh?.close().catch(() => undefined)
    },
  }
}

/**
 * Starts the next segment, its head sealing the current one and those the current one's head
 * sealed (the first one's head holds what was found on disk); the current file is then closed.
 */
async function rotate(ctx: AppendContext, st: AppendState): Promise<void> {
  const { fs } = ctx
  const { dir } = ctx.opts
  const prev: Seal[] = st.fh ? [{ seq: st.seq, bytes: st.size, frames: st.frames, rows: st.rowsIn }, ...st.sealed] : ctx.lastSeals
  // Recorded before anything is acknowledged in the next segment: with it, a start can count this
  // one deleted or cut while stopped even once no head that seals it is left. Best effort: the
  // next segment's head seals it too. Not the segment found last at open (a crash's): the replay
  // may delete it as inserted, torn tail and all, and the acknowledged mark speaks for it.
  if (st.fh) await ctx.seals?.record(prev[0]!).catch(() => undefined)
  const next = await fs.open(join(dir, segmentName(st.seq + 1)), 'w')
  // The head is synced with the segment's first frame. A disk too full for even these bytes
  // leaves the segment without one (its predecessor unsealed), rather than the spool closed.
  const head = await writeAll(next, encodeHead(st.seq + 1, prev), 0).then(
    () => HEAD_BYTES,
    () => next.truncate(0).then(() => 0, () => -1),
  )
  if (head < 0) {
    await next.close().catch(() => undefined)
    throw new StorageUnavailableError('the spool cannot start a segment on its disk', 'failed')
  }
  // The new name survives a power loss before anything is acknowledged in it. If the sync
  // fails (a failing disk, retried after healMs), the new file is closed, not leaked.
  await fs.syncDir(dir).catch(async (e: unknown) => {
    await next.close().catch(() => undefined)
    throw e
  })
  await st.fh?.close().catch(() => undefined)
  st.fh = next
  st.seq++
  st.size = head
  st.sealed = head > 0 ? prev : []
  st.frames = 0
  st.rowsIn = 0
}

/** Writes one frame of a group's payloads and syncs it, then queues it for the feeder. */
async function writeGroup(ctx: AppendContext, st: AppendState, parts: Buffer[], payloadBytes: number, rows: number, format: RowsFormat): Promise<void> {
  const { opts, fs, backlog, stats } = ctx
  if (st.failed) {
    if (monotonicMs() - st.failed.at < st.healMs) throw st.failed.error
    await rotate(ctx, st) // the disk may work again: start afresh; the old segment's good frames are still queued
    st.failed = undefined
  }
  if (st.frames > 0 && st.size >= opts.segmentBytes) await rotate(ctx, st) // never leaves a segment with no frame
  const file = st.fh!
  const bytes = FRAME_HEADER_BYTES + payloadBytes
  // Checked before every write, not after a failure: a frame never fills the disk, so the
  // intent log, the dead-letter file and ClickHouse (often on the same disk) keep room.
  const free = await fs.freeBytes(opts.dir)
  st.lowOnDisk = free - bytes < st.minFree
  if (st.lowOnDisk) {
    stats.diskRefusedRows += rows
    throw new StorageUnavailableError('the spool disk is nearly full', 'overloaded')
  }
  const offset = st.size
  try {
    // The header and every request's payload in one writev: no copy into one buffer.
    await writeAllParts(file, [frameHeader(parts, rows, format), ...parts], offset)
    await file.datasync()
  } catch (cause) {
    stats.writeFailures++
    // Whatever reached the file is cut off again, so no torn frame is ever followed by an
    // acknowledged one; if even that fails, appends stop until a fresh segment can be made.
    const undone = await file.truncate(offset).then(() => file.datasync()).then(() => true, () => false)
    const error = new StorageUnavailableError(`the spool cannot write to disk (${errorFields(cause).message})`, 'failed', { cause })
    if (!undone) st.failed = { error, at: monotonicMs() }
    throw error
  }
  st.size += bytes
  st.frames++
  st.rowsIn += rows
  stats.syncs++
  stats.appendedRows += rows
  backlog.rows += rows
  backlog.bytes += bytes
  backlog.queue.push({ seq: st.seq, offset, end: st.size, rows, since: monotonicMs(), format })
}

/** One frame holds one format: the waiting appends of the first one's format, in order. */
function nextGroup(waiting: Waiting[]): { group: Waiting[]; rest: Waiting[]; format: RowsFormat; rows: number; bytes: number } {
  const format = waiting[0]!.format
  const group = waiting.every((w) => w.format === format) ? waiting : waiting.filter((w) => w.format === format)
  const rest = group === waiting ? [] : waiting.filter((w) => w.format !== format)
  let rows = 0
  let bytes = 0
  for (const w of group) {
    rows += w.rows
    bytes += w.payload.length
  }
  return { group, rest, format, rows, bytes }
}
