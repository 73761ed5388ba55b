// Feedback (issue 4): the rating distribution, and recent scrubbed texts. Texts are read from
// the events table (so only within retention) and only for rating cells that are shown and
// whose texts come from at least k distinct users: a text is never shown for a cell under k.
import { num, select, str } from '../db.ts'
import { hide, metaOf } from '../meta.ts'
import { oneWayCells, otherSum } from '../table.ts'
import { baseParams, type ReportContext } from './context.ts'
import { loadOneWay } from './one-way.ts'

/** Texts returned per rating; rating 0 means none was given. */
export const TEXTS_PER_RATING = 20

export async function feedbackReport(ctx: ReportContext) {
  const k = ctx.app.k_anonymity
  const { total, rows } = await loadOneWay(
    ctx,
    'feedback',
    `SELECT rating, uniqCombinedMergeState(12)(users) AS st, uniqCombinedMerge(12)(users) AS cu, sum(count) AS n
     FROM agg_feedback_daily
     WHERE app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}
     GROUP BY rating`,
    'rating',
    ['sum(n) AS count'],
  )
  const { cells, hidden } = oneWayCells(rows, total, k, (r) => [String(num(r.rating)), { users: num(r.users), count: num(r.count) }])
  const ratings = [0, 1, 2, 3, 4, 5].map((rating) => {
    const c = cells.get(String(rating)) ?? { users: 0, count: 0 }
    return { rating, ...hide(hidden.has(String(rating)), c) }
  })
  const shown = ratings.filter((r) => !r.suppressed && (r.count ?? 0) > 0).map((r) => r.rating)
  return {
    meta: metaOf(ctx.app, ctx.range),
    total: hide(total.suppressed, { users: total.users, count: total.events }),
    ratings,
    other: otherSum(cells, hidden, total, (c) => c.count),
    texts: shown.length && !total.suppressed ? await texts(ctx, shown) : [],
  }
}

async function texts(ctx: ReportContext, ratings: number[]) {
  const rows = await select(
    ctx.client,
    `SELECT rating, text FROM (
       SELECT toUInt8(least(greatest(round(metrics['rating']), 0), 5)) AS rating, props['text'] AS text, ts,
              uniqExact(user_hash) OVER (PARTITION BY rating) AS authors
       FROM events
       WHERE app_id = {app:String} AND name = 'feedback' AND toDate(ts) BETWEEN {from:Date} AND {to:Date}
         AND props['text'] != '' AND user_hash != ''
     )
     WHERE authors >= {k:UInt32} AND has({ratings:Array(UInt8)}, rating)
     ORDER BY ts DESC
     LIMIT {n:UInt32} BY rating`,
    { ...baseParams(ctx), k: ctx.app.k_anonymity, ratings, n: TEXTS_PER_RATING },
  )
  // No timestamps or ids go out with a text: order (most recent first) is all that is kept.
  return rows.map((r) => ({ rating: num(r.rating), text: str(r.text) }))
}
