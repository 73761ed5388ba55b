// Numbers keep no identifying digits (PRIVACY.md 17, issue 25): a number prop is stored with at
// most two significant digits (1840 -> 1800, 0.0123 -> 0.012), or on the plan's `bucket` where
// that is coarser, so durations and row counts keep their meaning and a phone, card or account
// number cannot survive. Rounding to the nearest keeps sums and averages unbiased.

/** Significant digits a stored number keeps at most. */
export const SIGNIFICANT_DIGITS = 2

/** The step of two significant digits for a magnitude |v| >= 100: 10^(digits of |v| - 2). */
function stepOf(a: number): number {
  let e = Math.floor(Math.log10(a))
  // log10 of a power of ten may come out a hair below it (and the floor one lower): checked.
  if (10 ** e > a) e--
  else if (10 ** (e + 1) <= a) e++
  return 10 ** (e - SIGNIFICANT_DIGITS + 1)
}

/**
 * `v` as it is stored: to the nearest multiple of `bucket` when that step is coarser than two
 * significant digits of `v`, else to two significant digits. Symmetric around 0.
 */
export function roundNumber(v: number, bucket?: number): number {
  const a = v < 0 ? -v : v
  // Ratings, small counts and flags: integers under 100 have two digits at most already.
  if (a < 100 && bucket === undefined && Number.isInteger(v)) return v
  if (a === 0 || !Number.isFinite(a)) return v
  const step = stepOf(a)
  let r: number
  if (bucket !== undefined && bucket >= step) {
    // A fractional bucket (0.25) leaves binary noise (0.30000000000000004): cut at 12 digits.
    r = Math.round(a / bucket) * bucket
    if (!Number.isInteger(bucket)) r = Number(r.toPrecision(12))
  } else if (step >= 1) r = Math.round(a / step) * step
  else {
    // Divide by the power of ten rather than multiply by its inverse: 12 / 1000 is 0.012 exactly
    // as a literal reads, 12 * 0.001 is not.
    const f = Math.round(1 / step)
    r = Math.round(a * f) / f
  }
  return v < 0 ? -r : r
}
