// Query parameters of the reports API (issue 4), validated once with zod. Identifiers never
// come from input: a breakdown dimension is a closed enum whose values are stored as data in
// agg_breakdowns_daily, and every value reaches SQL as a typed {name:Type} parameter.
import { z } from 'zod'

/** The breakdown dimensions, as written by sql/0011_agg_breakdowns.sql. */
export const DIMENSIONS = ['country', 'os', 'browser', 'device_type', 'lang', 'screen', 'app_version'] as const
export type Dimension = (typeof DIMENSIONS)[number]

/** Longest range one request may cover: retention is at most 25 months (PRIVACY.md 7). */
export const MAX_RANGE_DAYS = 800

const DAY_MS = 86_400_000
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use a date like 2025-01-31 (YYYY-MM-DD)')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'not a calendar date')

export const rangeSchema = z.object({
  app: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'an app id: lowercase letters, digits, - and _').optional()
    .describe('App id; may be left out when the read key was issued for one app only'),
  from: isoDay.optional().describe('First day (UTC), inclusive; default: 29 days before `to`'),
  to: isoDay.optional().describe('Last day (UTC), inclusive; default: today'),
  interval: z.enum(['day', 'week']).default('day').describe('Bucket of time series: day, or week starting on Monday'),
})

export const eventsSchema = rangeSchema.extend({
  event: z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/, 'an event name like page_view').optional()
    .describe('Only this event name in the time series; default: all names'),
})

export const breakdownSchema = rangeSchema.extend({
  dimension: z.enum(DIMENSIONS).describe('What to break down by'),
  event: eventsSchema.shape.event,
})

export const limitSchema = rangeSchema.extend({
  limit: z.coerce.number().int().min(1).max(500).default(50).describe('Most rows returned, largest first'),
})

export interface Range {
  from: string
  to: string
  week: boolean
}

/** Turns validated parameters into a closed date range, or a message for a 400. */
export function resolveRange(p: { from?: string; to?: string; interval: 'day' | 'week' }, now: number): Range | string {
  const to = p.to ?? new Date(now).toISOString().slice(0, 10)
  const from = p.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS).toISOString().slice(0, 10)
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1
  if (days < 1) return `from (${from}) is after to (${to})`
  if (days > MAX_RANGE_DAYS) return `the range covers ${days} days; at most ${MAX_RANGE_DAYS} are allowed`
  return { from, to, week: p.interval === 'week' }
}

/** The buckets of a range, so that charts show days without events as zeros, not gaps. */
export function bucketsOf(range: Range): string[] {
  const out: string[] = []
  let t = Date.parse(`${range.from}T00:00:00Z`)
  const end = Date.parse(`${range.to}T00:00:00Z`)
  if (range.week) t -= ((new Date(t).getUTCDay() + 6) % 7) * DAY_MS
  for (; t <= end; t += range.week ? 7 * DAY_MS : DAY_MS) out.push(new Date(t).toISOString().slice(0, 10))
  return out
}

/** One zod error as one readable line: "dimension: Invalid option: expected one of ...". */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ')
}
