// The exact discrete Laplace sampler (src/privacy/noise/discrete-laplace.ts): integers only, the
// same noise for the same key and identity, and the distribution checked by a chi-square test.
import { describe, expect, it } from 'vitest'
import { bernoulliExp, createBitSource, noiseFor } from '../../../../src/privacy/noise/discrete-laplace.ts'

const KEY = Buffer.alloc(32, 7)

describe('discrete Laplace from a keyed bit stream', () => {
  it('gives the same noise for the same key and identity, other noise for another', () => {
    const a = Array.from({ length: 50 }, (_, i) => noiseFor(KEY, `cell-${i}`, 1, { num: 1, den: 2 }))
    const b = Array.from({ length: 50 }, (_, i) => noiseFor(KEY, `cell-${i}`, 1, { num: 1, den: 2 }))
    const c = Array.from({ length: 50 }, (_, i) => noiseFor(Buffer.alloc(32, 8), `cell-${i}`, 1, { num: 1, den: 2 }))
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
    for (const v of a) expect(Number.isInteger(v)).toBe(true)
  })

  it('draws uniform integers below n without bias (every residue, rejection above the last multiple)', () => {
    const src = createBitSource(KEY, 'uniform')
    const counts = [0, 0, 0]
    for (let i = 0; i < 30_000; i++) counts[src.below(3)]!++
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400)
    expect(() => src.below(0)).toThrow(RangeError)
  })

  it('draws Bernoulli(exp(-g)) at its rate, for g below and above 1', () => {
    for (const [num, den] of [[1, 2], [3, 2], [5, 1]] as const) {
      const src = createBitSource(KEY, `bexp-${num}/${den}`)
      const n = 40_000
      let hits = 0
      for (let i = 0; i < n; i++) if (bernoulliExp(src, num, den)) hits++
      const p = Math.exp(-num / den)
      // 5 standard deviations of a binomial count.
      expect(Math.abs(hits - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)))
    }
  })

  it('follows P(x) = (1-a)/(1+a) a^|x|, a = exp(-epsilon/sensitivity), by a chi-square over 20,000 cells', () => {
    const n = 20_000
    const eps = { num: 1, den: 2 }
    const counts = new Map<number, number>()
    for (let i = 0; i < n; i++) {
      const v = noiseFor(KEY, `chi-${i}`, 1, eps)
      counts.set(v, (counts.get(v) ?? 0) + 1)
    }
    const a = Math.exp(-0.5)
    const pmf = (x: number) => ((1 - a) / (1 + a)) * a ** Math.abs(x)
    // Bins -6..6 and the two tails: 15 bins, 14 degrees of freedom; the 0.999 quantile is 36.1.
    let chi = 0
    const tail = (lo: boolean) => [...counts].filter(([x]) => (lo ? x < -6 : x > 6)).reduce((s, [, c]) => s + c, 0)
    const tailP = a ** 7 / (1 + a)
    for (let x = -6; x <= 6; x++) chi += ((counts.get(x) ?? 0) - n * pmf(x)) ** 2 / (n * pmf(x))
    for (const lo of [true, false]) chi += (tail(lo) - n * tailP) ** 2 / (n * tailP)
    expect(chi).toBeLessThan(36.1)
    // And the test can fail: the same counts against a scale twice as wide are far off.
    const b = Math.exp(-0.25)
    let wrong = 0
    for (let x = -6; x <= 6; x++) {
      const e = n * ((1 - b) / (1 + b)) * b ** Math.abs(x)
      wrong += ((counts.get(x) ?? 0) - e) ** 2 / e
    }
    expect(wrong).toBeGreaterThan(36.1)
  })
})
