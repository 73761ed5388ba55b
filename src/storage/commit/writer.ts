// Group commit (DESIGN.md "writer"): rows of concurrent requests go into one insert, bounded by
// rows and time; each request's promise settles only when the insert holding its rows has
// committed, so a 202 means durable. Shaped after OpenTelemetry's BatchSpanProcessorBase:
// named bounds checked at construction, a bounded queue that reports what it refuses, and a
// shutdown that flushes once however often it is called. An insert whose outcome is unknown is
// re-sent as it was (same rows, same token); rows ClickHouse refuses are isolated (poison.ts).
import { insertIsolating, isDataError } from './poison.ts'

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

interface Pending<Row> {
  rows: Row[]
  /** When the request handed its rows over (Date.now()), for the age of the oldest pending row. */
  at: number
  resolve(dead: Row[]): void
  reject(e: Error): void
  /** Settles once the rows are stored (or dead-lettered), or given up for good. */
  stored: { resolve(): void; reject(e: Error): void }
  answered: boolean
}

/** Rows that were answered 503 but whose insert outcome is unknown: re-sent as they were. */
interface Retry<Row> {
  group: Pending<Row>[]
  rows: Row[]
  token: string
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
export function createWriter<Row>(opts: WriterOptions<Row>): Writer<Row> {
  if (opts.maxRows < 1) throw new RangeError('maxRows must be at least 1')
  if (opts.maxPendingRows < opts.maxRows) throw new RangeError('maxPendingRows must be at least maxRows')
  if (opts.maxDelayMs < 0) throw new RangeError('maxDelayMs must not be negative')

  let queue: Pending<Row>[] = []
  let queuedRows = 0
  let inFlightRows = 0
  let inFlight: Promise<void> | undefined
  let inFlightSince = 0
  let timer: NodeJS.Timeout | undefined
  let closing: Promise<void> | undefined
  /** Groups to re-send before anything new, oldest first (so rows keep their order). */
  const retries: Retry<Row>[] = []
  let retryRows = 0
  let retryAfter = 0
  const stats = { inserts: 0, rowsWritten: 0, failedInserts: 0, refusedRows: 0, retries: 0, deadLetteredRows: 0 }

  function schedule(): void {
    if (inFlight || (queue.length === 0 && retries.length === 0)) return
    const wait = retries.length > 0 ? retryAfter - Date.now() : queuedRows >= opts.maxRows || closing || opts.maxDelayMs === 0 ? 0 : opts.maxDelayMs
    if (wait <= 0 || closing) {
      if (timer) clearTimeout(timer)
      timer = undefined
      startInsert()
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = undefined
        startInsert()
      }, wait)
      timer.unref()
    }
  }

  const insertTimed = (rows: Row[], token: string) => (opts.insertTimeoutMs ? withDeadline(opts.insert(rows, token), opts.insertTimeoutMs) : opts.insert(rows, token))

  function startInsert(): void {
    if (inFlight) return
    let job: Retry<Row>
    if (retries.length > 0) {
      job = retries.shift()!
      retryRows -= job.rows.length
      stats.retries++
    } else {
      if (queue.length === 0) return
      // Whole requests only: a request's rows are never split across inserts.
      const group: Pending<Row>[] = []
      let n = 0
      while (queue.length > 0 && (n === 0 || n + queue[0]!.rows.length <= opts.maxRows)) {
        const p = queue.shift()!
        group.push(p)
        n += p.rows.length
      }
      queuedRows -= n
      const rows = group.length === 1 ? group[0]!.rows : group.flatMap((p) => p.rows)
      job = { group, rows, token: opts.tokenOf(rows) }
    }
    inFlightRows = job.rows.length
    inFlightSince = job.group[0]?.at ?? Date.now()
    inFlight = run(job).finally(() => {
      inFlight = undefined
      inFlightRows = 0
      inFlightSince = 0
      schedule()
    })
  }

  async function run(job: Retry<Row>): Promise<void> {
    try {
      await insertTimed(job.rows, job.token)
      done(job.group, [])
    } catch (cause) {
      if (isDataError(cause) && opts.deadLetter) {
        // One request's bad row must not fail the others: each request alone, then its rows
        // split until the refused ones are isolated (poison.ts). A transient failure on the
        // way leaves that request to be re-sent whole, with its own token.
        for (const p of job.group) {
          const token = job.group.length === 1 ? job.token : opts.tokenOf(p.rows)
          const dead: Row[] = []
          try {
            await insertIsolating(p.rows, token, insertTimed, async (rows, reason) => {
              await opts.deadLetter!(rows, reason)
              dead.push(...rows)
            })
            stats.deadLetteredRows += dead.length
            done([p], dead)
          } catch (e) {
            failed([p], e, { group: [p], rows: p.rows, token })
          }
        }
      } else failed(job.group, cause, job)
    }
  }

  function done(group: Pending<Row>[], dead: Row[]): void {
    stats.inserts++
    for (const p of group) {
      stats.rowsWritten += p.rows.length
      const mine = dead.length === 0 ? [] : p.rows.filter((r) => dead.includes(r))
      if (!p.answered) p.resolve(mine)
      p.answered = true
      p.stored.resolve()
    }
  }

  function failed(group: Pending<Row>[], cause: unknown, job: Retry<Row>): void {
    stats.failedInserts++
    const err = new StorageUnavailableError('storage rejected the insert', cause instanceof StorageUnavailableError ? cause.reason : 'failed', { cause })
    for (const p of group) {
      if (!p.answered) p.reject(err)
      p.answered = true
    }
    if (!opts.retryMs || closing) {
      for (const p of group) p.stored.reject(err)
      return
    }
    // Outcome unknown (it may have committed): the same rows go again with the same token,
    // which ClickHouse and its views deduplicate, never in another group with another token.
    retries.push(job)
    retryRows += job.rows.length
    retryAfter = Date.now() + opts.retryMs
  }

  /** Refused at once: `stored` rejects too, handled here, since callers that only wait for the answer never read it. */
  function refused(e: StorageUnavailableError): Submitted<Row> {
    const stored = Promise.reject(e)
    stored.catch(() => undefined)
    return { acked: Promise.reject(e), stored }
  }

  function submit(rows: Row[]): Submitted<Row> {
    if (rows.length === 0) return { acked: Promise.resolve([]), stored: Promise.resolve() }
    if (closing) return refused(new StorageUnavailableError('the server is shutting down', 'shutdown'))
    if (queuedRows + inFlightRows + retryRows + rows.length > opts.maxPendingRows) {
      stats.refusedRows += rows.length
      return refused(new StorageUnavailableError('storage is behind; too many rows are waiting', 'overloaded'))
    }
    // Settles with the insert itself, however long it takes: callers that cannot wait that
    // long race it against their own deadline (see withDeadline) and keep `stored` to learn
    // whether the rows did commit.
    let stored!: Pending<Row>['stored']
    const storedP = new Promise<void>((resolve, reject) => (stored = { resolve, reject }))
    storedP.catch(() => undefined)
    const acked = new Promise<Row[]>((resolve, reject) => {
      queue.push({ rows, at: Date.now(), resolve, reject, stored, answered: false })
      queuedRows += rows.length
      schedule()
    })
    return { acked, stored: storedP }
  }

  async function drainAll(): Promise<void> {
    while (queue.length > 0 || inFlight || retries.length > 0) {
      // A re-send waits retryMs after its failure here too, as schedule() makes it (issue 24:
      // flush() against a failing store re-sent at once, 415 inserts in 500 ms). While closing,
      // each retry gets its one more attempt without waiting (failed() gives it up after).
      const wait = !inFlight && retries.length > 0 && !closing ? retryAfter - Date.now() : 0
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      else if (!inFlight) startInsert()
      await inFlight
    }
  }

  return {
    write: (rows) => submit(rows).acked.then(() => undefined),
    submit,
    flush: drainAll,
    shutdown() {
      closing ??= (async () => {
        if (timer) clearTimeout(timer)
        // Retries get one more attempt each (failed() gives them up while closing).
        await drainAll()
      })()
      return closing
    },
    stats: () => {
      const since = inFlightSince || retries[0]?.group[0]?.at || queue[0]?.at
      return { ...stats, pendingRows: queuedRows + inFlightRows + retryRows, oldestPendingMs: since ? Date.now() - since : 0 }
    },
  }
}

/** Rejects with StorageUnavailableError('timeout') if `p` has not settled within `ms`. */
export function withDeadline<T = void>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined
  const deadline = new Promise<T>((_, reject) => {
    t = setTimeout(() => reject(new StorageUnavailableError(`storage did not commit within ${ms} ms`, 'timeout')), ms)
    t.unref()
  })
  return Promise.race([p, deadline]).finally(() => clearTimeout(t))
}
