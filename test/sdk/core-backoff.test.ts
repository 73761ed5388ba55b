// Retry timing of sdk/core/backoff.ts, with the randomness pinned (STYLE.md 7).
import { describe, expect, it } from 'vitest'
import { backoffDelay, MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelay } from '../../sdk/core/backoff.ts'

const o = { baseMs: 1000, maxMs: 60_000 }

describe('backoffDelay', () => {
  it('doubles the ceiling with every attempt and keeps half of it as a floor', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, () => 0, o))).toEqual([500, 1000, 2000, 4000])
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, () => 1, o))).toEqual([1000, 2000, 4000, 8000])
  })

  it('spreads clients by the random draw', () => {
    expect(backoffDelay(2, () => 0.5, o)).toBe(3000)
  })

  it('never waits longer than maxMs however many attempts failed', () => {
    expect(backoffDelay(40, () => 1, o)).toBe(60_000)
  })
})

describe('parseRetryAfter', () => {
  // fixed date: parseRetryAfter is a pure function of its input; no clock judges this date
  const now = Date.parse('2025-11-22T10:00:00Z')

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
  })

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfter('Sat, 22 Nov 2025 10:00:30 GMT', now)).toBe(30_000)
  })

  it('treats a date in the past as no pause', () => {
    expect(parseRetryAfter('Sat, 22 Nov 2025 09:00:00 GMT', now)).toBe(0)
  })

  it('ignores a missing or unreadable header', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
  })

  it('caps an absurd pause', () => {
    expect(parseRetryAfter('999999', now)).toBe(MAX_RETRY_AFTER_MS)
  })
})

describe('retryDelay', () => {
  it('waits at least as long as the server asked', () => {
    expect(retryDelay(0, 5000, () => 1, o)).toBe(5000)
  })

  it('waits for the backoff when it is longer than Retry-After', () => {
    expect(retryDelay(5, 1000, () => 0, o)).toBe(16_000)
  })

  it('uses the backoff alone without Retry-After', () => {
    expect(retryDelay(1, undefined, () => 0, o)).toBe(1000)
  })
})
