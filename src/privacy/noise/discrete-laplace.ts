// The discrete Laplace (two-sided geometric) mechanism, sampled exactly with integer arithmetic
// (Canonne, Kamath, Steinke 2020, "The Discrete Gaussian for Differential Privacy", algorithms 1
// and 2) from a keyed, deterministic bit stream: no floating point, so no Mironov (2012) leak.
import { createHmac } from 'node:crypto'

/** Uniform random bits, reproducible from a key and an identity (HMAC-SHA256 in counter mode). */
export interface BitSource {
  /** A uniform integer in [0, n), by rejection (exact), for 1 <= n <= 2^48. */
  below(n: number): number
}

export function createBitSource(key: Buffer, identity: string): BitSource {
  let block = 0
  let pool = Buffer.alloc(0)
  let at = 0
  const take6 = (): number => {
    if (at + 6 > pool.length) {
      pool = createHmac('sha256', key).update(identity).update('\u0000').update(String(block++)).digest()
      at = 0
    }
    const v = pool.readUIntBE(at, 6)
    at += 6
    return v
  }
  return {
    below(n) {
      if (!Number.isInteger(n) || n < 1 || n > 2 ** 48) throw new RangeError(`below(${n}): n must be an integer in [1, 2^48]`)
      // The largest multiple of n within 2^48: values at or above it are redrawn, so every
      // residue is equally likely.
      const limit = 2 ** 48 - (2 ** 48 % n)
      for (;;) {
        const v = take6()
        if (v < limit) return v % n
      }
    },
  }
}

/** Bernoulli(num/den), exactly. */
const bernoulli = (src: BitSource, num: number, den: number): boolean => src.below(den) < num

/** Bernoulli(exp(-num/den)) for 0 <= num/den <= 1 (CKS algorithm 1, first part). */
function bernoulliExpSmall(src: BitSource, num: number, den: number): boolean {
  let k = 1
  while (bernoulli(src, num, den * k)) k++
  return k % 2 === 1
}

/** Bernoulli(exp(-num/den)) for any num/den >= 0 (CKS algorithm 1). */
export function bernoulliExp(src: BitSource, num: number, den: number): boolean {
  let rest = num
  while (rest > den) {
    if (!bernoulliExpSmall(src, 1, 1)) return false
    rest -= den
  }
  return bernoulliExpSmall(src, rest, den)
}

/**
 * A sample of the discrete Laplace distribution with scale t/s: P(x) proportional to
 * exp(-|x| s / t), for integers t, s >= 1 (CKS algorithm 2). For sensitivity D and privacy
 * epsilon = a/b, the scale is D/epsilon = D*b/a: t = D*b, s = a.
 */
export function sampleDiscreteLaplace(src: BitSource, t: number, s: number): number {
  if (!Number.isInteger(t) || !Number.isInteger(s) || t < 1 || s < 1) throw new RangeError('scale t/s needs integers t, s >= 1')
  for (;;) {
    const u = src.below(t)
    if (!bernoulliExp(src, u, t)) continue
    let v = 0
    while (bernoulliExp(src, 1, 1)) v++
    const y = Math.floor((u + t * v) / s)
    const negative = bernoulli(src, 1, 2)
    if (negative && y === 0) continue
    return negative ? -y : y
  }
}

/** An epsilon as a fraction a/b of small integers (exact arithmetic needs it). */
export interface Epsilon {
  num: number
  den: number
}

/** The noise for one released number: same key and identity, same noise, on every ask. */
export function noiseFor(key: Buffer, identity: string, sensitivity: number, epsilon: Epsilon): number {
  return sampleDiscreteLaplace(createBitSource(key, identity), sensitivity * epsilon.den, epsilon.num)
}
