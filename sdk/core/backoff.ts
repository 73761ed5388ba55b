// Retry timing shared by both SDKs (STYLE.md 7): pure functions, the clock and the randomness are
// arguments so that tests pin them. EVENTS.md "Response": retry 408, 429 and 5xx with backoff.

export interface BackoffOptions {
  /** Delay ceiling of the first retry. */
  readonly baseMs: number
  /** Largest delay, however many attempts failed. */
  readonly maxMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 5 * 60_000 }

/** A server may ask for at most this long a pause; anything longer is treated as this. */
export const MAX_RETRY_AFTER_MS = 30 * 60_000

/**
 * Exponential backoff with "equal jitter": a delay in [c/2, c] with c = base * 2^attempt, capped.
 * The jitter spreads clients that failed together; the floor keeps them from hammering.
 */
export function backoffDelay(attempt: number, random: () => number, o: BackoffOptions = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(o.maxMs, o.baseMs * 2 ** attempt)
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

/** `Retry-After` (RFC 9110 10.2.3): delay-seconds or an HTTP-date, as ms from `now`; undefined if absent or garbage. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value == null || value.trim() === '') return undefined
  const seconds = Number(value)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now
  if (Number.isNaN(ms)) return undefined
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS)
}

/** The pause before the next attempt: never sooner than the server asked, never sooner than backoff. */
export function retryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number,
  o: BackoffOptions = DEFAULT_BACKOFF,
): number {
  return Math.max(retryAfterMs ?? 0, backoffDelay(attempt, random, o))
}
