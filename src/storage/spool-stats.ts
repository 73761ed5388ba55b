// What a spool reports about itself: counters for metrics (spool-metrics.ts) and the CLI, and
// its health for /readyz.

export interface SpoolStats {
  appendedRows: number
  syncs: number
  inserts: number
  insertedRows: number
  failedInserts: number
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
