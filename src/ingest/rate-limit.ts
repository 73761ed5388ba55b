// A token bucket per write key: `rps` sustained, `burst` at once. Refusals say when to retry.
export interface RateLimiter {
  /** 0 if allowed now, else the seconds to wait before retrying. */
  take(key: string, rps: number): number
}

export function createRateLimiter(burst: number, now: () => number = Date.now): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    take(key, rps) {
      const t = now()
      const cap = Math.max(burst, rps)
      const b = buckets.get(key) ?? { tokens: cap, at: t }
      // A clock that steps back (NTP) refills nothing rather than draining the bucket.
      b.tokens = Math.min(cap, b.tokens + (Math.max(0, t - b.at) / 1000) * rps)
      b.at = t
      buckets.set(key, b)
      if (b.tokens >= 1) {
        b.tokens -= 1
        return 0
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / rps))
    },
  }
}
