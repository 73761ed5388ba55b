// What every report answer says about itself: the range, k, and how to read the numbers.
import type { AppConfig } from '../apps/apps.ts'
import type { Range } from './params.ts'

/** What `rare` counts, said in every answer that has it (PRIVACY.md 17). */
export const RARE_NOTE = 'rare counts the events whose value fewer than k people of one salt period sent: such a value is stored only in a form nobody can read back and is never shown by name.'

export const NOTES = {
  users:
    'users counts distinct hashed user ids. The hashes rotate with the salt period (daily by default) and are comparable only within one period, so a person counts once per salt period: over a bucket or range longer than that, users is an upper bound of distinct people.',
  suppression:
    'k is decided per salt period and day: an event name in one period and day (a slice) with fewer than k distinct users is suppressed, and every number over a bucket or range is the sum of the shown slices only, so a hidden slice is part of no number and no two answers differ by one. A value, path, report, fingerprint or rating within a shown slice is shown when it has k users and the hidden rest of its slice does too; "other" is that hidden rest, summed (how much, not how many cells). A cell with data but nothing shown has null numbers and suppressed: true, except in the fixed lists (ratings, rule and label actions), where it answers as a value never used. Names and values without a shown cell are not listed.',
  noise:
    'With noise on (meta.noise), every count is released with discrete Laplace noise, the same on every ask, per atom: one salt period, one day, one cell (people, and events counted at most 2 per person). An atom is shown with k people and k + 10 after its noise; every figure is a sum of shown atoms; averages, percentiles and sums of values are null. See docs/reports.md "Noise".',
  rare: RARE_NOTE,
  time: 'Days are UTC days of the corrected client time. Weeks start on Monday; the first and last week of a range may be partial.',
} as const

export interface Meta {
  app: string
  from: string
  to: string
  interval: 'day' | 'week'
  k: number
  /** The numbers are released with noise (docs/reports.md "Noise"); false: exact figures. */
  noise: boolean
  notes: typeof NOTES
}

export function metaOf(app: AppConfig, range: Range, noise = false): Meta {
  return { app: app.id, from: range.from, to: range.to, interval: range.week ? 'week' : 'day', k: app.k_anonymity, noise, notes: NOTES }
}

/** A suppressed cell shows its measures as null. */
export function hide<T extends Record<string, number | null>>(suppressed: boolean, values: T): T & { suppressed: boolean } {
  if (!suppressed) return { ...values, suppressed }
  const nulls = Object.fromEntries(Object.keys(values).map((key) => [key, null])) as T
  return { ...nulls, suppressed }
}
