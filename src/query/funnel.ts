// GET /v1/stats/funnel (issue 27, docs/reports.md "Funnels"): the people of each salt period who
// did step 1, then 2, ... (2 to 5 declared events, each with optional filters), conversion per
// step and the median time between steps. People are linkable only within a period (user_hash),
// so a funnel is counted per period and k is decided per period and step.
import { z } from 'zod'
import { num, round, select, type Row } from './db.ts'
import { metaOf, NOTES } from './meta.ts'
import { rangeSchema } from './params.ts'
import { BadQueryError, filterSchema, resolveExplore, type ExploreQuery } from './explore-params.ts'
import { planEvents } from './explore-fields.ts'
import { releaseOf, type ReportContext } from './reports/context.ts'
import { releaseAtoms } from './release.ts'

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
/**
 * The people (agg_people_daily, sql/0090) with an event of step 1's name in each period of the
 * range: only they can reach level 1, so the events of everyone else are left out before the
 * grouping. Step 1's filters are not applied here (HAVING level > 0 applies them).
 */
const stepOnePeopleSql = `SELECT period, person FROM agg_people_daily
          WHERE app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date} AND name = {s0:String}`

function peopleSql(steps: ExploreQuery[], withTimes = true): string {
  const conds = steps.map(condition)
  const times = steps.map((_, i) => (i === 0 ? 'arrayMin(a0) AS t0' : `arrayMin(arrayFilter(x -> x >= t${i - 1}, a${i})) AS t${i}`))
  return `
    SELECT period, org, level${withTimes ? `, ${times.join(', ')}` : ''}
    FROM (
      SELECT salt_period AS period, any(org_hash) AS org,
             windowFunnel({window:UInt64})(toUInt64(toUnixTimestamp64Milli(ts)), ${conds.join(', ')}) AS level
             ${withTimes ? `, ${conds.map((c, i) => `groupArrayIf(toUnixTimestamp64Milli(ts), ${c}) AS a${i}`).join(', ')}` : ''}
      FROM events
      WHERE app_id = {app:String} AND toDate(ts) BETWEEN {from:Date} AND {to:Date} AND name IN {names:Array(String)} AND user_hash != ''
        AND (salt_period, cityHash64(user_hash)) IN (${stepOnePeopleSql})
      GROUP BY period, user_hash
      HAVING level > 0
    )`
}

/**
 * In one read: per period (grouping 0) the people who reached each step and how many steps are
 * shown (`sh`): a step is shown when it and every step before it has k people (and minOrgs
 * organisations), is not an unsafe filtered step, and lost no 1..k-1 people from the step before
 * (two shown steps would give those people away). For the whole range (grouping 1), the median
 * ms from each step to the next over the periods where that step is shown.
 */
function shownSql(steps: ExploreQuery[], minOrgs: number): string {
  const idx = steps.map((_, i) => i + 1)
  const ok = (i: number) =>
    [`c${i} >= {k:UInt32}`, minOrgs > 0 ? `o${i} >= {minOrgs:UInt32}` : '', `NOT has({unsafe:Array(String)}, concat(toString(period), ':', '${i - 1}'))`,
      i > 1 ? `NOT (c${i - 1} - c${i} > 0 AND c${i - 1} - c${i} < {k:UInt32})` : ''].filter(Boolean).join(' AND ')
  return idx.map((i) => `(${idx.slice(0, i).map((j) => `(${ok(j)})`).join(' AND ')})`).join(' + ')
}

function funnelSql(steps: ExploreQuery[], minOrgs: number): string {
  const idx = steps.map((_, i) => i + 1)
  const sh = shownSql(steps, minOrgs)
  return `
    SELECT grouping(period) AS g, period, [${idx.map((i) => `any(c${i})`).join(', ')}] AS people, any(sh) AS shown
           ${idx.slice(1).map((i) => `, quantileExactIf(0.5)(t${i - 1} - t${i - 2}, level >= ${i} AND sh >= ${i}) AS m${i - 1}`).join('')}
    FROM (
      SELECT *, toUInt8(${sh}) AS sh
      FROM (
        SELECT *, ${idx.map((i) => `countIf(level >= ${i}) OVER w AS c${i}`).join(', ')}
               ${minOrgs > 0 ? `, ${idx.map((i) => `uniqExactIf(org, level >= ${i} AND org != '') OVER w AS o${i}`).join(', ')}` : ''}
        FROM (${peopleSql(steps)})
        WINDOW w AS (PARTITION BY period)
      )
    )
    GROUP BY GROUPING SETS ((period), ())`
}

/**
 * funnelSql's rows of the periods (grouping 0) without the medians, which a noisy answer
 * withholds: each period's people per step counted in one GROUP BY, with no per-person times
 * and no window over every person of the range.
 */
function periodsSql(steps: ExploreQuery[], minOrgs: number): string {
  const idx = steps.map((_, i) => i + 1)
  return `
    SELECT 0 AS g, period, [${idx.map((i) => `c${i}`).join(', ')}] AS people, toUInt8(${shownSql(steps, minOrgs)}) AS shown
    FROM (
      SELECT period, ${idx.map((i) => `countIf(level >= ${i}) AS c${i}`).join(', ')}
             ${minOrgs > 0 ? `, ${idx.map((i) => `uniqExactIf(org, level >= ${i} AND org != '') AS o${i}`).join(', ')}` : ''}
      FROM (${peopleSql(steps, false)})
      GROUP BY period
    )`
}

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

/**
 * The funnel's rows: per period (g 0) its people per step and how many steps are shown, and with
 * `medians` the range's row (g 1) of median times (funnelSql); without, the periods alone
 * (periodsSql), as a noisy answer needs them.
 */
export async function loadFunnelRows(ctx: ReportContext, steps: ExploreQuery[], medians: boolean): Promise<Row[]> {
  const k = ctx.app.k_anonymity
  const minOrgs = ctx.app.min_orgs_per_cell ?? 0
  const params = { ...paramsOf(steps), app: ctx.app.id, from: ctx.range.from, to: ctx.range.to, k, minOrgs, window: ctx.app.salt_rotation_hours * 3_600_000 }
  // Filtered steps whose filter would single people out, per period (`period:step`).
  const unsafe = steps.some((s) => s.filters.length > 0)
    ? (await select(ctx.client, unsafeFiltersSql(steps), params)).filter((r) => num(r.unsafe) !== 0).map((r) => `${num(r.period)}:${num(r.step)}`)
    : []
  return select(ctx.client, medians ? funnelSql(steps, minOrgs) : periodsSql(steps, minOrgs), { ...params, unsafe })
}

export async function funnelReport(ctx: ReportContext, p: FunnelParams) {
  const steps = resolveSteps(ctx, p)
  // Medians are withheld under noise (below): its read counts the periods' people only.
  const rows = await loadFunnelRows(ctx, steps, !ctx.noiseKey)
  const totals = steps.map(() => ({ people: 0, periods: 0, hidden: 0 }))
  const medians = rows.find((r) => num(r.g) === 1) ?? {}
  // With a report noise key each shown step of a period is an atom of its own (release.ts): gated
  // and noised like every report's, named by the whole funnel so no draw serves two funnels.
  const spec = JSON.stringify(steps.map((s) => [s.event, s.filters.map((f) => [f.field.name, f.values])]))
  const noisy = ctx.noiseKey ? releaseOf(ctx) : null
  for (const r of rows.filter((x) => num(x.g) === 0)) {
    const people = (r.people as unknown[]).map(num)
    let t = num(r.shown)
    if (noisy) {
      const released = releaseAtoms(people.slice(0, t).map((n, i) => ({ period: num(r.period), day: '', cell: `funnel\u001f${spec}\u001f${i}`, people: n, events: n })), noisy)
      const hiddenAt = released.findIndex((x) => !x.shown)
      if (hiddenAt >= 0) t = hiddenAt
      released.slice(0, t).forEach((x, i) => (people[i] = x.people))
    }
    people.forEach((n, i) => {
      if (i < t) totals[i]!.people += n, totals[i]!.periods += 1
      // After a hidden step with people, a zero would tell about them: hidden too.
      else if (people[t]! > 0) totals[i]!.hidden += 1
    })
  }
  const first = totals[0]!.people
  return {
    meta: { ...metaOf(ctx.app, ctx.range, noisy !== null), notes: { ...NOTES, funnel: FUNNEL_NOTE } },
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
        // Percentiles are withheld under noise, as the reports withhold theirs (docs/reports.md "Noise").
        median_ms_from_previous: i === 0 || suppressed || t.periods === 0 || noisy ? null : num(medians[`m${i}`]),
      }
    }),
  }
}
