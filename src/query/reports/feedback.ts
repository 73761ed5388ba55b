// Feedback (issue 4): the rating distribution, and recent scrubbed texts. Ratings are sub-cells
// of the feedback slices (cells.ts). Texts are read from their own aggregate (sql/0040, kept as
// long as the events), only for ratings shown in the range, and only from (salt period, day,
// rating) groups where at least k distinct users of that one period wrote a text.
import { num, select, str } from '../db.ts'
import { hide, metaOf } from '../meta.ts'
import { oneWayCells, oneWaySql, totalOf } from '../table.ts'
import { counting } from '../cells.ts'
import { baseParams, type ReportContext } from './context.ts'

/** Texts returned per rating; rating 0 means none was given. */
export const TEXTS_PER_RATING = 20

export async function feedbackReport(ctx: ReportContext) {
  const rows = await select(
    ctx.client,
    oneWaySql(
      { table: 'agg_feedback_daily', where: 'app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}', partition: [], key: 'rating', e: 'sum(count)' },
      ctx.app.k_anonymity,
      (cond, sfx) => [`sumIf(e, ${cond}) AS count${sfx}`],
    ),
    { ...baseParams(ctx), k: ctx.app.k_anonymity },
  )
  const t = oneWayCells(rows, (r) => [String(num(r.key)), { users: num(r.users), count: num(r.count) }])
  // The six ratings are a fixed list, not names: one with data but no shown cell says so.
  const hidden = new Set(rows.filter((r) => num(r.g) === 0 && num(r.shown) === 0 && num(r.hidden) > 0).map((r) => num(r.key)))
  const ratings = [0, 1, 2, 3, 4, 5].map((rating) => ({ rating, ...hide(hidden.has(rating), t.cells.get(String(rating)) ?? { users: 0, count: 0 }) }))
  const shown = ratings.filter((r) => !r.suppressed && (r.count ?? 0) > 0).map((r) => r.rating)
  return {
    meta: metaOf(ctx.app, ctx.range),
    total: totalOf(t, (r) => ({ users: num(r.users), count: num(r.count) })),
    ratings,
    other: t.other,
    texts: shown.length && !t.suppressed ? await texts(ctx, shown) : [],
  }
}

async function texts(ctx: ReportContext, ratings: number[]) {
  // Each (period, day, rating) group of agg_feedback_texts_daily holds its authors and its most
  // recent texts (sql/0040); the groups with k authors are merged per rating, which keeps the most
  // recent TEXTS_PER_RATING of them all. Entries are (-ts in ms, text): the smallest come first.
  const rows = await select(
    ctx.client,
    `SELECT rating, groupArraySortedMerge(${TEXTS_PER_RATING})(t) AS texts
     FROM (
       SELECT rating, groupArraySortedMergeState(${TEXTS_PER_RATING})(texts) AS t
       FROM agg_feedback_texts_daily
       WHERE app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date} AND has({ratings:Array(UInt8)}, rating)
       GROUP BY period, day, rating
       HAVING ${counting(ctx.app.k_anonymity).count} >= {k:UInt32}
     )
     GROUP BY rating`,
    { ...baseParams(ctx), k: ctx.app.k_anonymity, ratings },
  )
  const all = rows.flatMap((r) => (Array.isArray(r.texts) ? r.texts : []).map((t) => ({ rating: num(r.rating), negTs: num((t as unknown[])[0]), text: str((t as unknown[])[1]) })))
  // Most recent first across ratings, as before; no timestamps or ids go out with a text.
  all.sort((a, b) => a.negTs - b.negTs || a.rating - b.rating)
  return all.map((t) => ({ rating: t.rating, text: t.text }))
}
