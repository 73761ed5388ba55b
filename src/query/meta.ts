// What every report answer says about itself: the range, k, and how to read the numbers.
import type { AppConfig } from '../apps.ts'
import type { Range } from './params.ts'

export const NOTES = {
  users:
    'users counts distinct hashed user ids. The hashes rotate with the salt period (daily by default) and are comparable only within one period, so a person counts once per salt period: over a bucket or range longer than that, users is an upper bound of distinct people.',
  suppression:
    'A cell with fewer than k distinct users is suppressed: its numbers are null and suppressed is true. Further cells are suppressed where needed so that no suppressed cell can be recovered from a shown total by subtraction; "other" is the sum of the suppressed cells of a total and always covers at least k users.',
  time: 'Days are UTC days of the corrected client time. Weeks start on Monday; the first and last week of a range may be partial.',
} as const

export interface Meta {
  app: string
  from: string
  to: string
  interval: 'day' | 'week'
  k: number
  notes: typeof NOTES
}

export function metaOf(app: AppConfig, range: Range): Meta {
  return { app: app.id, from: range.from, to: range.to, interval: range.week ? 'week' : 'day', k: app.k_anonymity, notes: NOTES }
}

/** A suppressed cell shows its measures as null. */
export function hide<T extends Record<string, number | null>>(suppressed: boolean, values: T): T & { suppressed: boolean } {
  if (!suppressed) return { ...values, suppressed }
  const nulls = Object.fromEntries(Object.keys(values).map((key) => [key, null])) as T
  return { ...nulls, suppressed }
}
