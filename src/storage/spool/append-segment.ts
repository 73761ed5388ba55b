// The segment the spool's appends go to (append.ts): the state its write steps share, starting
// the next segment with a head that seals the current one, and when a write must wait for that.
import { join } from 'node:path'
import { StorageUnavailableError } from '../commit/writer.ts'
import { segmentName } from './layout.ts'
import { HEAD_BYTES, encodeHead, type Seal } from './segment-head.ts'
import { writeAll, type SpoolFile, type SpoolFs } from './spool-fs.ts'
import type { DiskBudget } from './disk-budget.ts'
import { monotonicMs } from './monotonic.ts'
import type { SealRing } from './ledger.ts'
import type { SpoolBacklog, SpoolCounters, SpoolOptions } from './types.ts'

/** What openAppender (append.ts) is opened with. */
export interface AppendContext {
  opts: SpoolOptions
  fs: SpoolFs
  backlog: SpoolBacklog
  stats: SpoolCounters
  /** The highest segment number on disk: appends go to a new one, never after a torn tail. */
  lastSeq: number
  /** That segment as found on disk and the seals its head held, newest first: the new one's head (segment-head.ts). */
  lastSeals: Seal[]
  /** Called after each sync that acknowledged frames (the feeder may start). */
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
 * What openAppender's methods and the segment steps here share: the segment being written to,
 * a write the spool could not undo, and whether the disk is at its reserve.
 */
export interface AppendState {
  /** Derived from the options once: how long a failed write refuses appends, groups in flight at most. */
  readonly healMs: number
  readonly depth: number
  seq: number
  fh: SpoolFile | undefined
  /** The current segment's bytes acknowledged (synced), and where the next frame is written. */
  size: number
  end: number
  /** The current segment's frames and rows, sealed in the next segment's head. */
  frames: number
  rowsIn: number
  /** The seals in the current segment's head. */
  sealed: Seal[]
  failed: { error: StorageUnavailableError; at: number } | undefined
  /** What is known free above the disk's reserve. */
  readonly disk: DiskBudget
}

/**
 * Starts the next segment, its head sealing the current one and those the current one's head
 * sealed (the first one's head holds what was found on disk); the current file is then closed.
 */
export async function rotate(ctx: AppendContext, st: AppendState): Promise<void> {
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
  st.end = head
  st.sealed = head > 0 ? prev : []
  st.frames = 0
  st.rowsIn = 0
}

/**
 * Before a group's write, with nothing in flight when it rotates: a fresh segment once healMs
 * after a write that could not be undone, or the next one past segmentBytes.
 */
export async function prepare(ctx: AppendContext, st: AppendState): Promise<void> {
  if (st.failed) {
    if (monotonicMs() - st.failed.at < st.healMs) throw st.failed.error
    await rotate(ctx, st) // the disk may work again: start afresh; the old segment's good frames are still queued
    st.failed = undefined
  }
  if (st.frames > 0 && st.end >= ctx.opts.segmentBytes) await rotate(ctx, st) // never leaves a segment with no frame
}
