// The spool's interface (spool.ts composes it from append.ts and feeder.ts): its options, what it
// does, what it reports about itself (counters for metrics.ts, its health for /readyz), and the
// backlog its two halves share.
import type { EventRow } from '../../pipeline/types.ts'
import type { SpoolFs } from './spool-fs.ts'
import type { RowsFormat } from '../rows/rows-format.ts'
import type { Chunk } from './replay.ts'

export interface SpoolOptions {
  dir: string
  /**
   * Inserts encoded rows; resolves when committed. The same token must make a replay a no-op.
   * `first` is true on a range's first attempt (not a replay or a retry of an unknown outcome).
   */
  insert(body: Buffer, rows: number, token: string, first?: boolean, format?: RowsFormat): Promise<void>
  /** Bytes not yet in ClickHouse beyond which appends are refused (503), or make room (`full`). */
  maxBytes: number
  /**
   * At maxBytes: `refuse` new appends (the default, a node's), or `drop-oldest`: give up the
   * oldest frames not being inserted to take them (drop-oldest.ts; a relay's RELAY_SPOOL_FULL).
   */
  full?: 'refuse' | 'drop-oldest'
  /** Frames given up to make room (`full: 'drop-oldest'`), once that is synced. */
  onDrop?(rows: number, bytes: number): void
  /** A segment is closed and a new one started past this size. */
  segmentBytes: number
  /** Rows in one insert at most (whole frames: one frame may exceed it). */
  insertRows: number
  /** How long the oldest spooled row waits for company before an insert starts. */
  feedDelayMs: number
  /** Wait after a failed insert before the same range is tried again. */
  retryMs?: number
  /** Free bytes left on the spool's filesystem below which appends are refused. */
  minFreeBytes?: number
  /**
   * How often the free space is looked at (statfs, disk-budget.ts): after this many bytes
   * written (1 MiB) or this many milliseconds (100), and whenever a frame would not fit.
   */
  diskCheckBytes?: number
  diskCheckMs?: number
  /**
   * Groups written and not yet acknowledged at most (append.ts; SPOOL_GROUPS_IN_FLIGHT), 1 by
   * default: one group written and synced at a time. More: what arrives while one fdatasync runs
   * is written at once and covered by the next (16 measured a lower p99 in some rounds of
   * bench/studies/spool-append.ts and the same in others, at more CPU per append); 2 made appends
   * that arrive after the next group's write wait a whole sync more.
   */
  groupsInFlight?: number
  /**
   * Bytes kept on the spool's disk for the feeder's inserts (feeder-room.ts), given back when an
   * insert fails for want of space; 0 keeps none.
   */
  feederRoomBytes?: number
  /** After a write the spool could not undo, how long before it tries a fresh segment. */
  healMs?: number
  fs?: SpoolFs
  onInsertError?(e: unknown): void
  /**
   * Rows ClickHouse refused for what they are, decoded (rows-format.ts decodeRow); they are in the
   * dead-letter file already, as JSON lines. A line that cannot be read back as a row (never one
   * this spool wrote) is in the file only.
   */
  onDeadLetter?(rows: EventRow[], reason: string): void
  /** Each frame found at open that will be re-fed (e.g. to remember its event ids). */
  onReplayFrame?(payload: Buffer, format: RowsFormat): void
  /** Damage found in a segment (at open or when feeding): logged at error level by the caller. */
  onDamage?(info: { segment: string; corruptBytes: number; corruptRows: number; rowsUnknown?: boolean }): void
  /** How long a lock holder in another container or host may go without a heartbeat (storage/spool/lock.ts). */
  lockStaleMs?: number
  /** Another process removed or took over the directory's lock while this spool held it. */
  onLockLost?(holder: { pid: number; host: string } | undefined): void
}

export interface Spool {
  /** Resolves once the rows are on disk (fdatasync); rejects with StorageUnavailableError. */
  append(payload: Buffer, rows: number, format?: RowsFormat): Promise<void>
  /** Resolves when everything appended so far is in ClickHouse. */
  drain(): Promise<void>
  /**
   * Resolves true once every frame synced before the call is in ClickHouse (later appends do not
   * hold it up), false if that takes longer than `ms` or the spool closes.
   */
  fedUpTo(ms: number): Promise<boolean>
  /** Refuses new appends, inserts what it can within `ms`, closes; the rest is replayed on open. */
  close(ms: number): Promise<void>
  stats(): SpoolStats
  /** Why the spool should not get traffic now, for /readyz; undefined when healthy. */
  health(): SpoolHealth | undefined
}

export interface SpoolStats {
  appendedRows: number
  syncs: number
  inserts: number
  insertedRows: number
  failedInserts: number
  /** Ranges inserted again after a failure of unknown outcome (same range, same token). */
  retries: number
  /** Rows refused because the spool held maxBytes already. */
  refusedRows: number
  /** Rows refused because the spool's disk was below its free-space reserve. */
  diskRefusedRows: number
  /** Writes or syncs that failed (or were cut short) and were truncated away. */
  writeFailures: number
  /** Rows found in the spool at open and fed again (the last insert's range as a no-op). */
  replayedRows: number
  /** Segments with bytes that are not valid frames, those bytes, and rows in frames that failed their check. */
  corruptSegments: number
  corruptBytes: number
  corruptRows: number
  /** Damaged segments moved aside (*.seg.damaged) after their valid frames were inserted. */
  damagedSegments: number
  /** Rows ClickHouse refused for their data, written to the dead-letter file. */
  deadLetteredRows: number
  pendingRows: number
  pendingBytes: number
  /** Age of the oldest frame not yet in ClickHouse (0 when none). */
  oldestUnfedMs: number
  /** Appends are refused until a fresh segment can be written. */
  failed: boolean
  insertFailuresInARow: number
}

export interface SpoolHealth {
  reason: 'failed' | 'disk_low' | 'nearly_full' | 'feeder_failing'
  message: string
}

/** The counters of SpoolStats that the append and feed halves keep. */
export type SpoolCounters = Omit<SpoolStats, 'pendingRows' | 'pendingBytes' | 'oldestUnfedMs' | 'failed' | 'insertFailuresInARow'>

/** What is synced and not yet in ClickHouse: appended by append.ts, fed and retired by feeder.ts. */
export interface SpoolBacklog {
  /** Frames waiting, oldest first; the bytes stay on disk. */
  queue: Chunk[]
  rows: number
  bytes: number
}
