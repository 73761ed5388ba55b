// What both SDKs tell the application (issue 11, "no silent loss"): one `stats()` shape, one
// `flush()` result and one error report, so that nothing is lost without the app hearing of it.

/** Why events were given up (or, for `consent_pending`, are waiting); each reaches `onError` once. */
export type VeilErrorType =
  /**
   * 401 (403): the server refused the write key. The Node SDK keeps the events on disk for
   * `unauthorizedRetentionMs` and retries (`keptUntil` says until when); after that, or with a
   * retention of 0 (and in the browser), the batch is given up.
   */
  | 'unauthorized'
  /**
   * Node SDK: one delivery attempt failed (no answer, 408, 429, 5xx); `cause`, `queued` and
   * `retryInMs` say why, how much waits and when it is tried again. Nothing is lost.
   */
  | 'delivery_failed'
  /** Another final 4xx (400, 413, 415): the request can never succeed. */
  | 'client_error'
  /** The server took the batch but rejected this event as invalid; `reason` says why. */
  | 'rejected'
  /** The server did not record this valid event by policy (GPC, a browser bot); `reason` says which. */
  | 'dropped'
  /** One event alone is larger than a request may be. */
  | 'too_large'
  /** The queue was full; the oldest events went. */
  | 'queue_overflow'
  /** The page (or process) ended while events still waited for consent. */
  | 'consent_pending'

export interface VeilError {
  type: VeilErrorType
  message: string
  /** How many events it concerns. */
  count: number
  /** The HTTP status, for a refused request. */
  status?: number
  /** For `rejected` and `dropped`: the event's name and the server's reason. */
  event?: string
  reason?: string
  /** For a failed delivery: what went wrong (`ECONNREFUSED`, `timeout`, `HTTP 503`, the server's error). */
  cause?: string
  /** For a failed delivery: events waiting in the queue, these included. */
  queued?: number
  /** For a failed delivery: when the next attempt is due, in ms. */
  retryInMs?: number
  /** For a refused key whose events are kept: until when (epoch ms) they are kept and retried. */
  keptUntil?: number
}

/** Counts of given-up events by cause; the same keys in both SDKs. */
export interface DropCounts {
  queue_overflow: number
  /** Final 4xx answers, 401 included. */
  client_error: number
  rejected: number
  /** Valid events the server did not record by policy (listed in its `dropped`). */
  dropped: number
  too_large: number
  /** Damaged entries of the persisted queue that were skipped. */
  corrupt: number
}

export interface Stats {
  /** Events not yet answered by the server (in memory, in localStorage or on disk). */
  queued: number
  /** Events the server accepted since start. */
  delivered: number
  dropped: DropCounts
}

/** What `flush()` resolves with: what this flush delivered, and what is still waiting. */
export interface FlushResult {
  delivered: number
  queued: number
}

export const newDropCounts = (): DropCounts => ({ queue_overflow: 0, client_error: 0, rejected: 0, dropped: 0, too_large: 0, corrupt: 0 })

/** The parts of the 202 answer (EVENTS.md "Response") a client acts on. */
export interface Answer {
  accepted?: number
  rejected?: { index: number; reason: string }[]
  dropped?: { index: number; reason: string; message?: string }[]
}

/**
 * The reports one answer gives: one per rejected or dropped event, or one for a final 4xx.
 * `names` are the event names of the batch, in order.
 */
export function reportsOf(status: number, body: unknown, names: string[]): VeilError[] {
  if (status >= 400) {
    const message = (body as { error?: string } | undefined)?.error || `HTTP ${status}`
    return [{ type: status == 401 ? 'unauthorized' : 'client_error', status, count: names.length, message }]
  }
  const a = (body || {}) as Answer
  const list = (type: 'rejected' | 'dropped', xs: Answer['dropped']): VeilError[] =>
    (xs || []).map((x) => ({ type, count: 1, event: names[x.index], reason: x.reason, message: x.message || x.reason }))
  return list('rejected', a.rejected).concat(list('dropped', a.dropped))
}
