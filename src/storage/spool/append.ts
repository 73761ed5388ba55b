// The spool's append half: concurrent appends share one write and one fdatasync (group commit),
// one frame per format; what arrives while a sync runs is written at once, and acknowledged only
// by a sync that started after its write; segments rotate past their size; free space is checked
// before every write so a frame never fills the disk; a write or sync that fails is cut off
// again, and every frame from there on is refused.
import { StorageUnavailableError } from '../commit/writer.ts'
import { errorFields } from '../../observability/log-error.ts'
import type { RowsFormat } from '../rows/rows-format.ts'
import { FRAME_HEADER_BYTES, frameHeader } from './layout.ts'
import { writeAllParts, type SpoolFile } from './spool-fs.ts'
import { createDiskBudget } from './disk-budget.ts'
import { prepare, rotate, type AppendContext, type AppendState } from './append-segment.ts'
import type { AckMark } from './ledger.ts'
import { monotonicMs } from './monotonic.ts'

interface Waiting {
  payload: Buffer
  rows: number
  format: RowsFormat
  resolve(): void
  reject(e: Error): void
}

/** A group written as one frame, waiting for a sync that started after its write. */
interface Flight {
  group: Waiting[]
  seq: number
  offset: number
  end: number
  rows: number
  format: RowsFormat
  payloadBytes: number
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

export async function openAppender(ctx: AppendContext): Promise<Appender> {
  const { opts, fs, backlog, stats } = ctx
  const { dir } = opts
  const st: AppendState = {
    healMs: opts.healMs ?? 5000,
    depth: opts.groupsInFlight ?? 1,
    seq: ctx.lastSeq,
    fh: undefined,
    size: 0,
    end: 0,
    frames: 0,
    rowsIn: 0,
    sealed: [],
    failed: undefined,
    disk: createDiskBudget({
      freeBytes: () => fs.freeBytes(dir),
      minFree: opts.minFreeBytes ?? 0,
      everyBytes: opts.diskCheckBytes ?? 2 ** 20,
      everyMs: opts.diskCheckMs ?? 100,
      now: monotonicMs,
    }),
  }
  if (!(st.depth >= 1)) throw new RangeError('groupsInFlight must be at least 1')
  let waiting: Waiting[] = []
  // Payload bytes appended and neither acknowledged nor refused yet (waiting or in flight), so
  // that appends meanwhile see the bytes they will take.
  let pendingBytes = 0
  // Frames written whose sync has not started, and those the sync under way covers.
  let written: Flight[] = []
  let syncing: Flight[] = []
  // One write (or rotation) and one sync at a time, each alongside the other.
  let writeStep: Promise<void> | undefined
  let syncStep: Promise<void> | undefined
  // While a failed sync is undone nothing is written.
  let halted = false
  let refusing = false
  let idle: (() => void)[] = []

  await rotate(ctx, st)

  const inFlight = () => syncing.length + written.length

  /** Starts what can start: a sync of the frames written, the next group's write; wakes `refuse`. */
  function pump(): void {
    if (!syncStep && !halted && written.length > 0) syncStep = syncWritten().finally(() => ((syncStep = undefined), pump()))
    if (!writeStep && !halted && waiting.length > 0 && canWrite()) writeStep = writeNext().finally(() => ((writeStep = undefined), pump()))
    if (!writeStep && !syncStep && idle.length > 0) {
      for (const wake of idle) wake()
      idle = []
    }
  }

  /** At most `depth` groups in flight; a rotation or a fresh segment after a failure waits for none. */
  function canWrite(): boolean {
    const n = inFlight()
    if (n >= st.depth) return false
    return n === 0 || (!st.failed && st.end < opts.segmentBytes)
  }

  function refuseGroup(group: Waiting[], e: Error): void {
    for (const w of group) {
      pendingBytes -= w.payload.length
      w.reject(e)
    }
  }

  /** Takes the next group off `waiting` and writes it at the end; its sync comes after (pump). */
  async function writeNext(): Promise<void> {
    const { group, rest, format, rows, bytes: payloadBytes } = nextGroup(waiting)
    waiting = rest
    try {
      await prepare(ctx, st)
    } catch (e) {
      return refuseGroup(group, e instanceof Error ? e : new Error(String(e)))
    }
    const bytes = FRAME_HEADER_BYTES + payloadBytes
    // Checked before every write (statfs now and then, disk-budget.ts), not after a failure: a
    // frame never fills the disk, so the intent log, the dead-letter file and ClickHouse (often
    // on the same disk) keep room.
    const room = await st.disk.take(bytes).catch((cause: unknown) => new StorageUnavailableError(`the spool cannot look at its disk (${errorFields(cause).message})`, 'failed', { cause }))
    if (room !== true) {
      if (room === false) stats.diskRefusedRows += rows
      return refuseGroup(group, room || new StorageUnavailableError('the spool disk is nearly full', 'overloaded'))
    }
    const file = st.fh!
    const offset = st.end
    st.end += bytes
    try {
      // The header and every request's payload in one writev: no copy into one buffer.
      await writeAllParts(file, [frameHeader(group.map((w) => w.payload), rows, format), ...group.map((w) => w.payload)], offset)
    } catch (cause) {
      // Only this group's bytes lie past `offset`: the frames before it are still synced and
      // acknowledged (or refused) by the syncs that cover them.
      refuseGroup(group, await undo(file, offset, cause))
      return
    }
    written.push({ group, seq: st.seq, offset, end: offset + bytes, rows, format, payloadBytes })
  }

  /**
   * One fdatasync for every frame written before it started: those are acknowledged, in order,
   * once it succeeds. A frame written while it ran waits for the next one.
   */
  async function syncWritten(): Promise<void> {
    const file = st.fh!
    syncing = written
    written = []
    try {
      await file.datasync()
    } catch (cause) {
      // The write under way finishes first (it may undo itself); then everything from the
      // first frame this sync covered is cut off and refused, the frames written since too.
      halted = true
      await writeStep
      const lost = [...syncing, ...written]
      syncing = []
      written = []
      const error = await undo(file, lost[0]!.offset, cause)
      for (const f of lost) refuseGroup(f.group, error)
      halted = false
      return
    }
    stats.syncs++
    const synced = syncing
    syncing = []
    for (const f of synced) acknowledge(f)
    ctx.onFramed()
  }

  /**
   * Cuts the file back to `offset` after a failed write or sync, so no torn or unsynced frame is
   * ever followed by an acknowledged one; if even that fails, appends stop until a fresh segment
   * can be made. Returns the error the frames past `offset` are refused with.
   */
  async function undo(file: SpoolFile, offset: number, cause: unknown): Promise<StorageUnavailableError> {
    stats.writeFailures++
    const undone = await file.truncate(offset).then(() => file.datasync()).then(() => true, () => false)
    st.end = offset
    st.disk.forget()
    const error = new StorageUnavailableError(`the spool cannot write to disk (${errorFields(cause).message})`, 'failed', { cause })
    if (!undone) st.failed = { error, at: monotonicMs() }
    return error
  }

  function acknowledge(f: Flight): void {
    st.size = f.end
    st.frames++
    st.rowsIn += f.rows
    stats.appendedRows += f.rows
    backlog.rows += f.rows
    backlog.bytes += f.end - f.offset
    backlog.queue.push({ seq: f.seq, offset: f.offset, end: f.end, rows: f.rows, since: monotonicMs(), format: f.format })
    for (const w of f.group) {
      pendingBytes -= w.payload.length
      w.resolve()
    }
  }

  return {
    append(payload, rows, format) {
      if (refusing) return Promise.reject(new StorageUnavailableError('the server is shutting down', 'shutdown'))
      if (st.failed && monotonicMs() - st.failed.at < st.healMs) return Promise.reject(st.failed.error)
      const over = backlog.bytes + pendingBytes + payload.length - opts.maxBytes
      const room = over > 0 ? ctx.makeRoom?.(over) : undefined
      if (over > 0 && !room) {
        stats.refusedRows += rows
        return Promise.reject(new StorageUnavailableError('the spool is full; storage is behind', 'overloaded'))
      }
      const enqueue = () =>
        new Promise<void>((resolve, reject) => {
          waiting.push({ payload, rows, format, resolve, reject })
          pump()
        })
      // Counted as pending at once, so appends meanwhile see the bytes it will take.
      pendingBytes += payload.length
      if (!room) return enqueue()
      return room.then(enqueue, (cause: unknown) => {
        pendingBytes -= payload.length
        stats.refusedRows += rows
        throw new StorageUnavailableError('the spool is full and could not record dropping its oldest rows', 'overloaded', { cause })
      })
    },
    seq: () => st.seq,
    mark: () => ({ seq: st.seq, end: st.size, rows: st.rowsIn }),
    failed: () => st.failed?.error,
    lowOnDisk: () => st.disk.low(),
    rotateIdle() {
      if (writeStep || syncStep || inFlight() > 0 || st.frames === 0 || refusing || st.failed) return Promise.resolve(false)
      const done = rotate(ctx, st).then(() => true, () => false)
      // Held as the write under way, so appends meanwhile wait for the new segment.
      writeStep = done.then(() => ((writeStep = undefined), pump()))
      return done
    },
    recheckDisk: () => st.disk.recheck(),
    async refuse(ms) {
      refusing = true
      // A write or sync that hangs is left behind: what it held was never acknowledged.
      let t: NodeJS.Timeout | undefined
      const settled = new Promise<void>((r) => idle.push(r))
      pump()
      await Promise.race([settled, new Promise((r) => (t = setTimeout(r, ms)))])
      clearTimeout(t)
    },
    close: async (seal) => {
      // Sealing the last segment lets the next start see it deleted or cut while stopped, too;
      // not under a write that hangs, whose frame may still land after the seal's end.
      const busy = writeStep || syncStep || inFlight() > 0
      if (seal && st.frames > 0 && !st.failed && !busy) await rotate(ctx, st).catch(() => undefined)
      await st.fh?.close().catch(() => undefined)
    },
  }
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
