// The per-key token bucket with an injected clock: a burst, then 429 with the seconds to wait,
// refilled at the sustained rate; keys do not share buckets.
import { describe, expect, it } from 'vitest'
import { createRateLimiter } from '../../../src/ingest/rate-limit.ts'

function clock(start = 1_000_000) {
  let t = start
  return { now: () => t, advance: (ms: number) => void (t += ms) }
}

describe('createRateLimiter', () => {
  it('allows the burst at once, then refuses with the seconds to wait', () => {
    const c = clock()
    const rl = createRateLimiter(3, c.now)
    expect([rl.take('k', 1), rl.take('k', 1), rl.take('k', 1)]).toEqual([0, 0, 0])
    expect(rl.take('k', 1)).toBe(1)
  })

  it('refills at the sustained rate', () => {
    const c = clock()
    const rl = createRateLimiter(2, c.now)
    rl.take('k', 2)
    rl.take('k', 2)
    expect(rl.take('k', 2)).toBeGreaterThan(0)
    c.advance(500) // one token at 2 per second
    expect(rl.take('k', 2)).toBe(0)
    expect(rl.take('k', 2)).toBeGreaterThan(0)
  })

  it('says to wait longer when the sustained rate is below one per second', () => {
    const c = clock()
    const rl = createRateLimiter(1, c.now)
    expect(rl.take('k', 0.25)).toBe(0)
    expect(rl.take('k', 0.25)).toBe(4)
    c.advance(2000)
    expect(rl.take('k', 0.25)).toBe(2)
  })

  it('does not refill beyond the burst after a long pause', () => {
    const c = clock()
    const rl = createRateLimiter(2, c.now)
    c.advance(3_600_000)
    expect([rl.take('k', 1), rl.take('k', 1), rl.take('k', 1)]).toEqual([0, 0, 1])
  })

  it('keeps a bucket per key', () => {
    const c = clock()
    const rl = createRateLimiter(1, c.now)
    expect(rl.take('a', 1)).toBe(0)
    expect(rl.take('a', 1)).toBe(1)
    expect(rl.take('b', 1)).toBe(0)
  })

  it('refills nothing when the clock steps back', () => {
    const c = clock()
    const rl = createRateLimiter(1, c.now)
    rl.take('k', 1)
    c.advance(-60_000)
    expect(rl.take('k', 1)).toBe(1)
  })

  it('lets the sustained rate raise the burst when it is higher', () => {
    const c = clock()
    const rl = createRateLimiter(1, c.now)
    const results = Array.from({ length: 6 }, () => rl.take('k', 5))
    expect(results).toEqual([0, 0, 0, 0, 0, 1])
  })
})
