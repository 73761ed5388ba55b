// The requests a group-commit writer holds (writer.ts): how they are grouped into an insert,
// answered when it commits or fails, refused at once, and inserted one by one after a data error.
import { insertIsolating } from './poison.ts'
import { StorageUnavailableError, type Submitted, type WriterOptions, type WriterStats } from './writer-types.ts'

export interface Pending<Row> {
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
export interface Retry<Row> {
  group: Pending<Row>[]
  rows: Row[]
  token: string
}

export type Counts = Omit<WriterStats, 'pendingRows' | 'oldestPendingMs'>

export function checkBounds(opts: WriterOptions<unknown>): void {
  if (opts.maxRows < 1) throw new RangeError('maxRows must be at least 1')
  if (opts.maxPendingRows < opts.maxRows) throw new RangeError('maxPendingRows must be at least maxRows')
  if (opts.maxDelayMs < 0) throw new RangeError('maxDelayMs must not be negative')
}

/** Whole requests only, oldest first, up to maxRows (a larger request alone): a request's rows are never split across inserts. */
export function takeGroup<Row>(queue: Pending<Row>[], maxRows: number): { group: Pending<Row>[]; n: number } {
  const group: Pending<Row>[] = []
  let n = 0
  while (queue.length > 0 && (n === 0 || n + queue[0]!.rows.length <= maxRows)) {
    const p = queue.shift()!
    group.push(p)
    n += p.rows.length
  }
  return { group, n }
}

/** Answers and settles the requests of a committed insert; `dead`: their rows refused for their data. */
export function answerStored<Row>(stats: Counts, group: Pending<Row>[], dead: Row[]): void {
  stats.inserts++
  for (const p of group) {
    stats.rowsWritten += p.rows.length
    const mine = dead.length === 0 ? [] : p.rows.filter((r) => dead.includes(r))
    if (!p.answered) p.resolve(mine)
    p.answered = true
    p.stored.resolve()
  }
}

/**
 * A request's two promises: `acked` is its answer; `stored` settles with the insert itself,
 * however long it takes: callers that cannot wait that long race the answer against their own
 * deadline (see withDeadline) and keep `stored` to learn whether the rows did commit.
 */
export function enqueue<Row>(rows: Row[], push: (p: Pending<Row>) => void): Submitted<Row> {
  let stored!: Pending<Row>['stored']
  const storedP = new Promise<void>((resolve, reject) => (stored = { resolve, reject }))
  storedP.catch(() => undefined)
  const acked = new Promise<Row[]>((resolve, reject) => push({ rows, at: Date.now(), resolve, reject, stored, answered: false }))
  return { acked, stored: storedP }
}

/**
 * After a data error: one request's bad row must not fail the others, so each request is
 * inserted alone, then its rows split until the refused ones are isolated (poison.ts). A
 * transient failure on the way leaves that request to be re-sent whole, with its own token.
 */
export async function insertEachAlone<Row>(
  opts: WriterOptions<Row>,
  job: Retry<Row>,
  insert: (rows: Row[], token: string) => Promise<void>,
  stats: Counts,
  done: (group: Pending<Row>[], dead: Row[]) => void,
  failed: (group: Pending<Row>[], cause: unknown, job: Retry<Row>) => void,
): Promise<void> {
  for (const p of job.group) {
    const token = job.group.length === 1 ? job.token : opts.tokenOf(p.rows)
    const dead: Row[] = []
    try {
      await insertIsolating(p.rows, token, insert, async (rows, reason) => {
        await opts.deadLetter!(rows, reason)
        dead.push(...rows)
      })
      stats.deadLetteredRows += dead.length
      done([p], dead)
    } catch (e) {
      failed([p], e, { group: [p], rows: p.rows, token })
    }
  }
}

/** Refused at once: `stored` rejects too, handled here, since callers that only wait for the answer never read it. */
export function refused<Row>(e: StorageUnavailableError): Submitted<Row> {
  const stored = Promise.reject(e)
  stored.catch(() => undefined)
  return { acked: Promise.reject(e), stored }
}

/** Answers the requests of a failed insert with StorageUnavailableError (their rows may still be re-sent). */
export function answerFailed<Row>(stats: Counts, group: Pending<Row>[], cause: unknown): StorageUnavailableError {
  stats.failedInserts++
  const err = new StorageUnavailableError('storage rejected the insert', cause instanceof StorageUnavailableError ? cause.reason : 'failed', { cause })
  for (const p of group) {
    if (!p.answered) p.reject(err)
    p.answered = true
  }
  return err
}
