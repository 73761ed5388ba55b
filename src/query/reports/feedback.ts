// Feedback (issue 4): the rating distribution, and recent scrubbed texts. Ratings are sub-cells
// of the feedback slices (cells.ts). Texts are read from the events table (so only within
// retention), only for ratings shown in the range, and only from (salt period, day, rating)
// groups where at least k distinct users of that one period wrote a text.
import { num, select, str } from '../db.ts'
import { hide, metaOf } from '../meta.ts'
import { oneWayCells, oneWaySql, totalOf } from '../table.ts'
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
  const rows = await select(
    ctx.client,
    `SELECT rating, text FROM (
       SELECT rating, text, ts, uniqExact(user_hash) OVER (PARTITION BY salt_period, toDate(ts), rating) AS authors
       FROM (
         SELECT toUInt8(least(greatest(round(metrics['rating']), 0), 5)) AS rating, props['text'] AS text, ts, salt_period, user_hash
         FROM events
         WHERE app_id = {app:String} AND name = 'feedback' AND toDate(ts) BETWEEN {from:Date} AND {to:Date}
           AND props['text'] != '' AND user_hash != ''
       )
     )
     WHERE authors >= {k:UInt32} AND has({ratings:Array(UInt8)}, rating)
     ORDER BY ts DESC
     LIMIT {n:UInt32} BY rating`,
    { ...baseParams(ctx), k: ctx.app.k_anonymity, ratings, n: TEXTS_PER_RATING },
  )
  // No timestamps or ids go out with a text: order (most recent first) is all that is kept.
  return rows.map((r) => ({ rating: num(r.rating), text: str(r.text) }))
}
