// What a writer is (writer.ts implements it for group commit, spool-writer.ts over the spool):
// its options, its answer, its error, and what it reports.
export interface WriterOptions<Row> {
  /** Inserts rows as one statement; resolves when committed. `token` makes a replay a no-op. */
  insert(rows: Row[], token: string): Promise<void>
  /** Rows in one insert at most. */
  maxRows: number
  /** How long the first pending row waits for company before an insert starts. */
  maxDelayMs: number
  /** Rows waiting (queued or in flight) beyond which new writes are refused at once. */
  maxPendingRows: number
  /** The insert token of a group of rows, e.g. a hash of their event ids. */
  tokenOf(rows: Row[]): string
  /**
   * After an insert fails for a transient reason, its rows are inserted again, the same group
   * with the same token, after this wait (its outcome is unknown: it may have committed).
   * 0 turns retries off: the rows are given up with the answer.
   */
  retryMs?: number
  /** An insert that has not settled by then counts as failed (outcome unknown; retried). */
  insertTimeoutMs?: number
  /** Rows ClickHouse refused for their data (poison.ts): kept somewhere for an operator. */
  deadLetter?(rows: Row[], reason: string): Promise<void>
}

export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError'
  constructor(
    message: string,
    readonly reason: 'overloaded' | 'timeout' | 'failed' | 'shutdown' | 'clock',
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

export interface WriterStats {
  inserts: number
  rowsWritten: number
  failedInserts: number
  refusedRows: number
  pendingRows: number
  /** Inserts re-sent with the same token after a transient failure. */
  retries: number
  /** Rows refused by ClickHouse for their data, handed to deadLetter. */
  deadLetteredRows: number
  /** Milliseconds the oldest row not yet committed has waited; 0 when none is pending (the spool's writer leaves it out: see storage/spool/metrics.ts). */
  oldestPendingMs?: number
}

export interface Submitted<Row> {
  /** The answer: resolves with the rows dead-lettered (refused for their data), rejects with StorageUnavailableError. */
  acked: Promise<Row[]>
  /** Settles when the rows are stored for good, which may be after a rejected answer (retries). */
  stored: Promise<void>
}

export interface Writer<Row> {
  /** Resolves when the rows are committed; rejects with StorageUnavailableError if they were not. */
  write(rows: Row[]): Promise<void>
  /** write(), with the eventual outcome too (for the retry memory, storage/dedup/retry-memory.ts). */
  submit(rows: Row[]): Submitted<Row>
  /** Inserts whatever is pending now and waits for it. */
  flush(): Promise<void>
  /** Refuses new writes, flushes what is pending; idempotent. */
  shutdown(): Promise<void>
  stats(): WriterStats
}
