// GET /v1/stats/explore (issue 27): events and people of one declared event over time, broken
// down by one dimension or declared prop, filtered, with the previous period of the same length
// beside it. Cells are decided in explore-sql.ts with the fixed reports' cell code.
import { num, select, str, type Row } from './db.ts'
import { bucketsOf, type Range } from './params.ts'
import { hide, metaOf } from './meta.ts'
import { exploreParams, exploreSql } from './explore-sql.ts'
import { resolveExplore, type ExploreParams, type ExploreQuery } from './explore-params.ts'
import { minOrgsOf, type ReportContext } from './reports/context.ts'
import { loadReleasedExplore } from './explore-release.ts'

const DAY_MS = 86_400_000

export const EXPLORE_NOTE =
  'Explore decides every cell like the fixed reports: one event in one salt period and day is a slice, its parts (a filter value with a breakdown value) are shown with k people when the hidden rest of the slice holds k people too. A filtered answer also holds back a part whose breakdown value or filter value would otherwise leave fewer than k people unshown, so that no two answers differ by fewer than k people. Totals of a filtered answer are the sum of its shown parts.'

interface Figures {
  users: number | null
  events: number | null
  suppressed: boolean
}

interface Loaded {
  cells: Map<string, Row>
  values: string[]
}

const id = (g: number, bucket: string, value: string) => `${g}\u001f${bucket}\u001f${value}`

/** The range and the previous period in one read, split by side (explore-sql.ts). */
async function load(ctx: ReportContext, q: ExploreQuery, prev: Range): Promise<[Loaded, Loaded]> {
  const k = ctx.app.k_anonymity
  const rows = await select(ctx.client, exploreSql(q, k, minOrgsOf(ctx)), {
    ...exploreParams(q),
    app: ctx.app.id,
    k,
    from: prev.from,
    current: ctx.range.from,
    to: ctx.range.to,
    week: ctx.range.week,
  })
  const sides: [Loaded, Loaded] = [{ cells: new Map(), values: [] }, { cells: new Map(), values: [] }]
  for (const r of rows) {
    const l = sides[num(r.side) === 1 ? 1 : 0]
    const g = num(r.g)
    l.cells.set(id(g, g & 2 ? '' : str(r.bucket), g & 1 ? '' : str(r.b)), r)
    if (g === 0 && num(r.shown) > 0 && !l.values.includes(str(r.b))) l.values.push(str(r.b))
  }
  return sides
}

/**
 * A cell's figures. Unfiltered totals (grouping bit 0 set, no filter) are the event's shown
 * slices, whole; every other cell is the sum of its released parts.
 */
function figures(l: Loaded, g: number, bucket: string, value: string, whole: boolean): Figures {
  const r = l.cells.get(id(g, bucket, value))
  if (!r) return { users: 0, events: 0, suppressed: false }
  const shown = whole ? num(r.slices_shown) : num(r.shown)
  if (shown === 0 && num(r.hidden) > 0) return hide(true, { users: 0, events: 0 })
  return whole ? { users: num(r.slice_users), events: num(r.slice_events), suppressed: false } : { users: num(r.users), events: num(r.events), suppressed: false }
}

/** The range of the same length just before `range`. */
export function previousRange(range: Range): Range {
  const from = Date.parse(`${range.from}T00:00:00Z`)
  const days = (Date.parse(`${range.to}T00:00:00Z`) - from) / DAY_MS + 1
  const iso = (t: number) => new Date(t).toISOString().slice(0, 10)
  return { from: iso(from - days * DAY_MS), to: iso(from - DAY_MS), week: range.week }
}

function series(l: Loaded, q: ExploreQuery, range: Range) {
  const whole = q.filters.length === 0
  return {
    from: range.from,
    to: range.to,
    total: figures(l, 3, '', '', whole),
    points: bucketsOf(range).map((bucket) => ({ bucket, ...figures(l, 1, bucket, '', whole) })),
  }
}

export async function exploreReport(ctx: ReportContext, p: ExploreParams) {
  const q = resolveExplore(ctx.app, p)
  const prev = previousRange(ctx.range)
  // With a report noise key, released atoms (explore-release.ts), as every report's; else the exact cells.
  const [now, before] = ctx.noiseKey ? await loadReleasedExplore(ctx, q, prev, id) : await load(ctx, q, prev)
  const buckets = bucketsOf(ctx.range)
  const other = q.by && q.filters.length === 0 ? otherOf(now) : null
  const rows = q.by
    ? now.values
        .map((value) => ({
          value,
          ...(q.by!.width !== undefined && value !== '' ? { label: `${value} to ${round(Number(value) + q.by!.width)}` } : {}),
          ...figures(now, 2, '', value, false),
          previous: figures(before, 2, '', value, false),
          points: buckets.map((bucket) => ({ bucket, ...figures(now, 0, bucket, value, false) })),
        }))
        .filter((r) => !r.suppressed && (r.events ?? 0) > 0)
        .sort((x, y) => (y.users ?? 0) - (x.users ?? 0) || x.value.localeCompare(y.value))
    : []
  return {
    meta: { ...metaOf(ctx.app, ctx.range, !!ctx.noiseKey), notes: { ...metaOf(ctx.app, ctx.range, !!ctx.noiseKey).notes, explore: EXPLORE_NOTE } },
    event: q.event,
    by: q.by?.name ?? null,
    filters: q.filters.map((f) => ({ field: f.field.name, values: f.values })),
    ...series(now, q, ctx.range),
    buckets,
    rows,
    other,
    previous: series(before, q, prev),
  }
}

/** The hidden rest of the unfiltered event's shown slices (like the breakdown report's other). */
function otherOf(l: Loaded): { events: number; cells: number } | null {
  const r = l.cells.get(id(3, '', ''))
  return r && num(r.slices_shown) > 0 && num(r.other_cells) > 0 ? { events: num(r.other_events), cells: num(r.other_cells) } : null
}

const round = (v: number) => Number(v.toFixed(6))
