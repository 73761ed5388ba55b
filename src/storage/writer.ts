// Group commit (DESIGN.md "writer"): rows of concurrent requests go into one insert, bounded by
// rows and time; each request's promise settles only when the insert holding its rows has
// committed, so a 202 means durable. Shaped after OpenTelemetry's BatchSpanProcessorBase:
// named bounds checked at construction, a bounded queue that reports what it refuses, and a
// shutdown that flushes once however often it is called.

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
}

export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError'
  constructor(
    message: string,
    readonly reason: 'overloaded' | 'timeout' | 'failed' | 'shutdown',
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

interface Pending<Row> {
  rows: Row[]
  /** When the request handed its rows over (Date.now()), for the age of the oldest pending row. */
  at: number
  resolve(): void
  reject(e: Error): void
}

export interface WriterStats {
  inserts: number
  rowsWritten: number
  failedInserts: number
  refusedRows: number
  pendingRows: number
  /** Milliseconds the oldest row not yet committed has waited; 0 when none is pending (the spool's writer leaves it out: see spool-metrics.ts). */
  oldestPendingMs?: number
}

export interface Writer<Row> {
  /** Resolves when the rows are committed; rejects with StorageUnavailableError if they were not. */
  write(rows: Row[]): Promise<void>
  /** Inserts whatever is pending now and waits for it. */
  flush(): Promise<void>
  /** Refuses new writes, flushes what is pending; idempotent. */
  shutdown(): Promise<void>
  stats(): WriterStats
}

export function createWriter<Row>(opts: WriterOptions<Row>): Writer<Row> {
  if (opts.maxRows < 1) throw new RangeError('maxRows must be at least 1')
  if (opts.maxPendingRows < opts.maxRows) throw new RangeError('maxPendingRows must be at least maxRows')
  if (opts.maxDelayMs < 0) throw new RangeError('maxDelayMs must not be negative')

  let queue: Pending<Row>[] = []
  let queuedRows = 0
  let inFlightRows = 0
  let inFlightSince = 0
  let inFlight: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined
  let closing: Promise<void> | undefined
  const stats = { inserts: 0, rowsWritten: 0, failedInserts: 0, refusedRows: 0 }

  function schedule(): void {
    if (inFlight || queue.length === 0) return
    if (queuedRows >= opts.maxRows || closing || opts.maxDelayMs === 0) {
      if (timer) clearTimeout(timer)
      timer = undefined
      startInsert()
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = undefined
        startInsert()
      }, opts.maxDelayMs)
      timer.unref()
    }
  }

  function startInsert(): void {
    if (inFlight || queue.length === 0) return
    // Whole requests only: a request's rows are never split across inserts.
    const group: Pending<Row>[] = []
    let n = 0
    while (queue.length > 0 && (n === 0 || n + queue[0]!.rows.length <= opts.maxRows)) {
      const p = queue.shift()!
      group.push(p)
      n += p.rows.length
    }
    queuedRows -= n
    inFlightRows = n
    inFlightSince = group[0]!.at
    const rows = group.length === 1 ? group[0]!.rows : group.flatMap((p) => p.rows)
    inFlight = opts
      .insert(rows, opts.tokenOf(rows))
      .then(
        () => {
          stats.inserts++
          stats.rowsWritten += n
          for (const p of group) p.resolve()
        },
        (cause: unknown) => {
          stats.failedInserts++
          const err = new StorageUnavailableError('storage rejected the insert', 'failed', { cause })
          for (const p of group) p.reject(err)
        },
      )
      .finally(() => {
        inFlight = undefined
        inFlightRows = 0
        inFlightSince = 0
        schedule()
      })
  }

  return {
    write(rows) {
      if (rows.length === 0) return Promise.resolve()
      if (closing) {
        return Promise.reject(new StorageUnavailableError('the server is shutting down', 'shutdown'))
      }
      if (queuedRows + inFlightRows + rows.length > opts.maxPendingRows) {
        stats.refusedRows += rows.length
        return Promise.reject(new StorageUnavailableError('storage is behind; too many rows are waiting', 'overloaded'))
      }
      // Settles with the insert itself, however long it takes: callers that cannot wait that
      // long race it against their own deadline (see withDeadline) and keep this promise to
      // learn whether the rows did commit.
      return new Promise<void>((resolve, reject) => {
        queue.push({ rows, at: Date.now(), resolve, reject })
        queuedRows += rows.length
        schedule()
      })
    },

    async flush() {
      while (queue.length > 0 || inFlight) {
        if (!inFlight) startInsert()
        await inFlight
      }
    },

    shutdown() {
      closing ??= (async () => {
        if (timer) clearTimeout(timer)
        while (queue.length > 0 || inFlight) {
          if (!inFlight) startInsert()
          await inFlight
        }
      })()
      return closing
    },

    stats: () => {
      const since = inFlightSince || queue[0]?.at
      return { ...stats, pendingRows: queuedRows + inFlightRows, oldestPendingMs: since ? Date.now() - since : 0 }
    },
  }
}

/** Rejects with StorageUnavailableError('timeout') if `p` has not settled within `ms`. */
export function withDeadline(p: Promise<void>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined
  const deadline = new Promise<void>((_, reject) => {
    t = setTimeout(() => reject(new StorageUnavailableError(`storage did not commit within ${ms} ms`, 'timeout')), ms)
    t.unref()
  })
  return Promise.race([p, deadline]).finally(() => clearTimeout(t))
}
