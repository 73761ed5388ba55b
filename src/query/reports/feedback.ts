// Feedback (issue 4, 25): the rating distribution, and the themes of the texts: the words and
// short phrases k people of a period used (PRIVACY.md 17), with their counts. Ratings are
// sub-cells of the feedback slices (cells.ts); a text is stored as its terms, never verbatim
// unless its app declares it (sql/0050_values.sql), so no recent text is shown.
import { num, select, str } from '../db.ts'
import { hide, metaOf } from '../meta.ts'
import { oneWayCells, oneWaySql, totalOf } from '../table.ts'
import { mappedValue, takeRare } from '../values.ts'
import { baseParams, minOrgsOf, type ReportContext } from './context.ts'

/** The ratings, a fixed list: 0 is no rating. */
export const RATINGS = [0, 1, 2, 3, 4, 5] as const

export async function feedbackReport(ctx: ReportContext) {
  const rows = await select(
    ctx.client,
    oneWaySql(
      { table: 'agg_feedback_daily', where: 'app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}', partition: [], key: 'rating', e: 'sum(count)' },
      ctx.app.k_anonymity,
      minOrgsOf(ctx),
      (cond, sfx) => [`sumIf(e, ${cond}) AS count${sfx}`],
    ),
    { ...baseParams(ctx), k: ctx.app.k_anonymity },
  )
  const t = oneWayCells(rows, (r) => [String(num(r.key)), { users: num(r.users), count: num(r.count) }])
  // The six ratings are a fixed list, always returned: a rating without a shown cell answers as
  // one never used, 0 and not suppressed (issue 26, "Existence"), so whether fewer than k
  // people gave it is not told.
  const ratings = RATINGS.map((rating) => ({ rating, ...hide(false, t.cells.get(String(rating)) ?? { users: 0, count: 0 }) }))
  const shown = ratings.filter((r) => (r.count ?? 0) > 0).map((r) => r.rating)
  return {
    meta: metaOf(ctx.app, ctx.range),
    total: totalOf(t, (r) => ({ users: num(r.users), count: num(r.count) })),
    ratings,
    other: t.other,
    ...(shown.length && !t.suppressed ? await themes(ctx) : { themes: [], rare: null }),
  }
}

/** Themes returned at most: the words and phrases most used. */
export const THEMES = 30

async function themes(ctx: ReportContext) {
  // Each (period, day) is a slice of the authors of a text; a term is a sub-cell of it, shown
  // with k authors (cells.ts) and only once published (values.ts): a term fewer than k people
  // used is a token in the table and reaches the answer only as part of `rare`.
  const rows = await select(
    ctx.client,
    oneWaySql(
      { table: 'agg_feedback_words_daily', where: 'app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}', partition: [], key: mappedValue('term'), e: 'sum(count)' },
      ctx.app.k_anonymity,
      minOrgsOf(ctx),
      (cond, sfx) => [`sumIf(e, ${cond}) AS count${sfx}`],
    ),
    { ...baseParams(ctx), k: ctx.app.k_anonymity },
  )
  const t = oneWayCells(rows, (r) => [str(r.key), { users: num(r.users), count: num(r.count) }])
  const rare = takeRare(t, (c) => c.count)
  const list = [...t.cells]
    .map(([term, c]) => ({ term, users: c.users, count: c.count }))
    .sort((a, b) => b.count - a.count || a.term.localeCompare(b.term))
    .slice(0, THEMES)
  return { themes: list, rare }
}
