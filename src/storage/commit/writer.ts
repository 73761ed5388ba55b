// Group commit (DESIGN.md "writer"): rows of concurrent requests go into one insert, bounded by
// rows and time; each request's promise settles only when the insert holding its rows has
// committed, so a 202 means durable. Shaped after OpenTelemetry's BatchSpanProcessorBase:
// named bounds checked at construction, a bounded queue that reports what it refuses, and a
// shutdown that flushes once however often it is called. An insert whose outcome is unknown is
// re-sent as it was (same rows, same token); rows ClickHouse refuses are isolated (poison.ts).
import { isDataError } from './poison.ts'
import { StorageUnavailableError, type Submitted, type Writer, type WriterOptions } from './writer-types.ts'
import { answerFailed, answerStored, checkBounds, enqueue, insertEachAlone, refused, takeGroup, type Counts, type Pending, type Retry } from './writer-requests.ts'

export { StorageUnavailableError, type Submitted, type Writer, type WriterOptions, type WriterStats } from './writer-types.ts'

export function createWriter<Row>(opts: WriterOptions<Row>): Writer<Row> {
  checkBounds(opts as WriterOptions<unknown>)

  const queue: Pending<Row>[] = []
  let queuedRows = 0
  let inFlight: Promise<void> | undefined
  let [inFlightRows, inFlightSince] = [0, 0]
  let timer: NodeJS.Timeout | undefined
  let closing: Promise<void> | undefined
  /** Groups to re-send before anything new, oldest first (so rows keep their order); their rows; when the next may go. */
  const retries: Retry<Row>[] = []
  let [retryRows, retryAfter] = [0, 0]
  const stats: Counts = { inserts: 0, rowsWritten: 0, failedInserts: 0, refusedRows: 0, retries: 0, deadLetteredRows: 0 }

  function schedule(): void {
    if (inFlight || (queue.length === 0 && retries.length === 0)) return
    const wait = retries.length > 0 ? retryAfter - Date.now() : queuedRows >= opts.maxRows || closing || opts.maxDelayMs === 0 ? 0 : opts.maxDelayMs
    if (wait <= 0 || closing) {
      if (timer) clearTimeout(timer)
      timer = undefined
      startInsert()
    } else timer ??= setTimeout(() => {
      timer = undefined
      startInsert()
    }, wait).unref()
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
      const { group, n } = takeGroup(queue, opts.maxRows)
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
      if (isDataError(cause) && opts.deadLetter) await insertEachAlone(opts, job, insertTimed, stats, done, failed)
      else failed(job.group, cause, job)
    }
  }

  const done = (group: Pending<Row>[], dead: Row[]) => answerStored(stats, group, dead)

  function failed(group: Pending<Row>[], cause: unknown, job: Retry<Row>): void {
    const err = answerFailed(stats, group, cause)
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

  function submit(rows: Row[]): Submitted<Row> {
    if (rows.length === 0) return { acked: Promise.resolve([]), stored: Promise.resolve() }
    if (closing) return refused<Row>(new StorageUnavailableError('the server is shutting down', 'shutdown'))
    if (queuedRows + inFlightRows + retryRows + rows.length > opts.maxPendingRows) {
      stats.refusedRows += rows.length
      return refused<Row>(new StorageUnavailableError('storage is behind; too many rows are waiting', 'overloaded'))
    }
    return enqueue(rows, (p) => {
      queue.push(p)
      queuedRows += rows.length
      schedule()
    })
  }

  async function drainAll(): Promise<void> {
    while (queue.length > 0 || inFlight || retries.length > 0) {
      // A re-send waits retryMs here too, as in schedule() (issue 24: 415 inserts in 500 ms);
      // while closing, each retry gets one more attempt at once (failed() gives it up after).
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
      // Retries get one more attempt each (failed() gives them up while closing).
      return (closing ??= (async () => {
        clearTimeout(timer)
        await drainAll()
      })())
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
