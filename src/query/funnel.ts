// GET /v1/stats/funnel (issue 27, docs/reports.md "Funnels"): the people of each salt period who
// did step 1, then 2, ... (2 to 5 declared events, each with optional filters), conversion per
// step and the median time between steps. People are linkable only within a period (user_hash),
// so a funnel is counted per period and k is decided per period and step.
import { z } from 'zod'
import { num, round, select } from './db.ts'
import { metaOf, NOTES } from './meta.ts'
import { rangeSchema } from './params.ts'
import { BadQueryError, filterSchema, resolveExplore, type ExploreQuery } from './explore-params.ts'
import { planEvents } from './explore-fields.ts'
import type { ReportContext } from './reports/context.ts'

const MAX_STEPS = 5
const stepName = z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/, 'an event name like page_view')

export const funnelSchema = rangeSchema.extend(
  Object.fromEntries(
    Array.from({ length: MAX_STEPS }, (_, i) => [
      [`step${i + 1}`, stepName.optional().describe(i < 2 ? `Required: the event of step ${i + 1}` : `The event of step ${i + 1}`)],
      [`filter${i + 1}`, filterSchema.optional().describe(`Filters of step ${i + 1}, like explore's: field=v1,v2;field2=v`)],
    ]).flat(),
  ) as Record<`step${1 | 2 | 3 | 4 | 5}`, z.ZodOptional<typeof stepName>> & Record<`filter${1 | 2 | 3 | 4 | 5}`, z.ZodOptional<typeof filterSchema>>,
)

export type FunnelParams = z.infer<typeof funnelSchema>

export const FUNNEL_NOTE =
  'A funnel counts, in each salt period, the people who did step 1 and then each next step in order within that period (hashes of different periods cannot be linked, so no funnel spans two periods). A step is shown for a period when it has k people (and min orgs, when set) and so does each earlier step, and when no step before it lost between 1 and k-1 people (such a loss would single them out); a step hidden in a period hides the following ones. Counts over the range are sums of the shown periods; a person active in several periods counts once in each.'

/** The steps as explore queries (an event and its filters), checked against the plan. */
export function resolveSteps(ctx: ReportContext, p: FunnelParams): ExploreQuery[] {
  const steps: ExploreQuery[] = []
  const events = planEvents(ctx.app)
  for (let i = 1; i <= MAX_STEPS; i++) {
    const event = p[`step${i}` as `step${1 | 2 | 3 | 4 | 5}`]
    const filter = p[`filter${i}` as `filter${1 | 2 | 3 | 4 | 5}`]
    if (event === undefined) {
      if (filter !== undefined) throw new BadQueryError(`filter${i}: step${i} names no event`)
      continue
    }
    if (steps.length !== i - 1) throw new BadQueryError(`step${i}: steps are numbered from 1 without gaps`)
    if (!events[event]) throw new BadQueryError(`step${i}: "${event}" is not declared in the plan of app "${ctx.app.id}"`)
    steps.push(resolveExplore(ctx.app, { event, filter }, `s${i}_`))
  }
  if (steps.length < 2) throw new BadQueryError('step1, step2: a funnel has 2 to 5 steps')
  return steps
}

const condition = (s: ExploreQuery, i: number) =>
  [`name = {s${i}:String}`, ...s.filters.map((f, j) => `has({s${i}v${j}:Array(String)}, ${f.field.sql})`)].join(' AND ')

function paramsOf(steps: ExploreQuery[]): Record<string, unknown> {
  const params: Record<string, unknown> = { names: [...new Set(steps.map((s) => s.event))] }
  steps.forEach((s, i) => {
    params[`s${i}`] = s.event
    s.filters.forEach((f, j) => Object.assign(params, f.field.params, { [`s${i}v${j}`]: f.values }))
  })
  return params
}

/**
 * One row per person and period: how far they got (windowFunnel over the period, in ms, so
 * every chain within the period counts) and, greedily from their first step 1, when they did
 * each step (the earliest match after the previous one: the same chain windowFunnel finds).
 */
function peopleSql(steps: ExploreQuery[]): string {
  const conds = steps.map(condition)
  const times = steps.map((_, i) => (i === 0 ? 'arrayMin(a0) AS t0' : `arrayMin(arrayFilter(x -> x >= t${i - 1}, a${i})) AS t${i}`))
  return `
    SELECT period, org, level, ${times.join(', ')}
    FROM (
      SELECT salt_period AS period, any(org_hash) AS org,
             windowFunnel({window:UInt64})(toUInt64(toUnixTimestamp64Milli(ts)), ${conds.join(', ')}) AS level,
             ${conds.map((c, i) => `groupArrayIf(toUnixTimestamp64Milli(ts), ${c}) AS a${i}`).join(', ')}
      FROM events
      WHERE app_id = {app:String} AND toDate(ts) BETWEEN {from:Date} AND {to:Date} AND name IN {names:Array(String)} AND user_hash != ''
      GROUP BY period, user_hash
      HAVING level > 0
    )`
}

/** Per period: people and organisations who reached each step. */
const periodsSql = (steps: ExploreQuery[]) => `
  SELECT period, [${steps.map((_, i) => `countIf(level >= ${i + 1})`).join(', ')}] AS people,
         [${steps.map((_, i) => `uniqExactIf(org, level >= ${i + 1} AND org != '')`).join(', ')}] AS orgs
  FROM (${peopleSql(steps)}) GROUP BY period`

/**
 * Per period, the filtered steps whose filter would single people out: an atom of the filter
 * (one value per filter field) with 1..k-1 people, or 1..k-1 people of the step's event outside
 * the filter. Explore holds such parts back (explore-sql.ts); a funnel step built on one would
 * give away what explore hides (the event's people minus the step's, or two in-lists).
 */
const unsafeFiltersSql = (steps: ExploreQuery[]) =>
  steps
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.filters.length > 0)
    .map(({ s, i }) => `
      SELECT period, ${i} AS step, countIf(m = 1 AND n < {k:UInt32}) > 0 OR (uniqExactMergeIf(st, m = 0) BETWEEN 1 AND {k:UInt32} - 1) AS unsafe
      FROM (
        SELECT salt_period AS period, concat(${s.filters.map((f) => f.field.sql).join(', char(30), ')}) AS a,
               ${s.filters.map((f, j) => `has({s${i}v${j}:Array(String)}, ${f.field.sql})`).join(' AND ')} AS m,
               uniqExact(user_hash) AS n, uniqExactState(user_hash) AS st
        FROM events
        WHERE app_id = {app:String} AND toDate(ts) BETWEEN {from:Date} AND {to:Date} AND name = {s${i}:String} AND user_hash != ''
        GROUP BY period, a, m
      )
      GROUP BY period`)
    .join(' UNION ALL ')

/** Per step after the first: the median ms from the step before, over the periods where the step is shown. */
const mediansSql = (steps: ExploreQuery[]) => `
  SELECT ${steps.slice(1).map((_, j) => `quantileExactIf(0.5)(t${j + 1} - t${j}, level >= ${j + 2} AND has({shown${j + 1}:Array(UInt32)}, period)) AS m${j + 1}`).join(', ')}
  FROM (${peopleSql(steps)})`

/**
 * How many steps of one period may be shown: each up to there has k people (and minOrgs
 * organisations), and no earlier step lost 1..k-1 people to the next (S_i - S_i+1 is a number of
 * people a reader could work out from two shown steps).
 */
export function shownSteps(people: readonly number[], orgs: readonly number[], k: number, minOrgs: number, unsafe: ReadonlySet<number> = new Set()): number {
  let t = 0
  for (let i = 0; i < people.length; i++) {
    if (people[i]! < k || (minOrgs > 0 && orgs[i]! < minOrgs) || unsafe.has(i)) break
    const lost = i === 0 ? 0 : people[i - 1]! - people[i]!
    if (lost > 0 && lost < k) break
    t = i + 1
  }
  return t
}

export async function funnelReport(ctx: ReportContext, p: FunnelParams) {
  const steps = resolveSteps(ctx, p)
  const k = ctx.app.k_anonymity
  const minOrgs = ctx.app.min_orgs_per_cell ?? 0
  const params = { ...paramsOf(steps), app: ctx.app.id, from: ctx.range.from, to: ctx.range.to, window: ctx.app.salt_rotation_hours * 3_600_000 }
  const periods = await select(ctx.client, periodsSql(steps), params)
  const unsafe = new Map<number, Set<number>>()
  if (steps.some((s) => s.filters.length > 0)) {
    for (const r of await select(ctx.client, unsafeFiltersSql(steps), { ...params, k })) {
      if (num(r.unsafe) === 0) continue
      const set = unsafe.get(num(r.period)) ?? new Set<number>()
      unsafe.set(num(r.period), set.add(num(r.step)))
    }
  }
  const totals = steps.map(() => ({ people: 0, periods: 0, hidden: 0 }))
  const shownIn: number[][] = steps.map(() => [])
  for (const r of periods) {
    const people = (r.people as unknown[]).map(num)
    const t = shownSteps(people, (r.orgs as unknown[]).map(num), k, minOrgs, unsafe.get(num(r.period)))
    people.forEach((n, i) => {
      if (i < t) totals[i]!.people += n, totals[i]!.periods += 1, shownIn[i]!.push(num(r.period))
      // After a hidden step with people, a zero would tell about them: hidden too.
      else if (people[t]! > 0) totals[i]!.hidden += 1
    })
  }
  const medians = (await select(ctx.client, mediansSql(steps), { ...params, ...Object.fromEntries(shownIn.slice(1).map((s, j) => [`shown${j + 1}`, s])) }))[0] ?? {}
  const first = totals[0]!.people
  return {
    meta: { ...metaOf(ctx.app, ctx.range), notes: { ...NOTES, funnel: FUNNEL_NOTE } },
    steps: steps.map((s, i) => {
      const t = totals[i]!
      const suppressed = t.periods === 0 && t.hidden > 0
      const prev = i === 0 ? null : totals[i - 1]!.people
      return {
        event: s.event,
        filters: s.filters.map((f) => ({ field: f.field.name, values: f.values })),
        people: suppressed ? null : t.people,
        suppressed,
        // Periods where this step has people but is not shown (k, min orgs, or a loss under k).
        hidden_periods: t.hidden,
        conversion: suppressed || first === 0 ? null : round(t.people / first),
        from_previous: suppressed || prev === null || prev === 0 ? null : round(t.people / prev),
        median_ms_from_previous: i === 0 || suppressed || t.periods === 0 ? null : num(medians[`m${i}`]),
      }
    }),
  }
}
