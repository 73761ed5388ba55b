// Feedback (issue 4, 25): the rating distribution, and the themes of the texts: the words and
// short phrases k people of a period used (PRIVACY.md 17), with their counts. Ratings are
// sub-cells of the feedback slices (cells.ts); a text is stored as its terms, never verbatim
// unless its app declares it (sql/0050_values.sql), so no recent text is shown.
import { num, select, str } from '../db.ts'
import { hide, metaOf } from '../meta.ts'
import { oneWayCells, oneWaySql, totalOf } from '../table.ts'
import { mappedValue, takeRare } from '../values.ts'
import { baseParams, minOrgsOf, type ReportContext } from './context.ts'
import { loadReleasedOneWay } from '../atom-table.ts'
import { RARE } from '../values.ts'

/** The ratings, a fixed list: 0 is no rating. */
export const RATINGS = [0, 1, 2, 3, 4, 5] as const

export async function feedbackReport(ctx: ReportContext) {
  if (ctx.noiseKey) return releasedFeedback(ctx)
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
    meta: metaOf(ctx.app, ctx.range, !!ctx.noiseKey),
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

/** The rating as sql/0030's view stores it: 0 to 5, 0 for none. */
const RATING_SQL = "toUInt8(least(greatest(round(metrics['rating']), 0), 5))"

/**
 * The same answer from released atoms (atom-table.ts). A theme is a (period, day, term) atom of
 * the feedback events that carry text, gated and noised like any atom, and only once published
 * (values.ts). Fakes alone can fill a term's atom, but then it shows the fakes' own word; a real
 * person's word shows only when k people of one period sent it (the values rule) and passes the
 * noisy gate, and its count says nothing exact about who sent it.
 */
async function releasedFeedback(ctx: ReportContext) {
  const t = await loadReleasedOneWay(ctx, { name: 'feedback', space: 'rating', key: RATING_SQL })
  const ratings = RATINGS.map((rating) => {
    const f = t.rows.get(String(rating))
    return { rating, ...hide(false, { users: f?.people ?? 0, count: f?.events ?? 0 }) }
  })
  const shown = ratings.some((r) => (r.count ?? 0) > 0)
  return {
    meta: metaOf(ctx.app, ctx.range, !!ctx.noiseKey),
    total: hide(t.suppressed, { users: t.total.people, count: t.total.events }),
    ratings,
    other: t.other,
    ...(shown && !t.suppressed ? await releasedThemes(ctx) : { themes: [], rare: null }),
  }
}

async function releasedThemes(ctx: ReportContext) {
  const t = await loadReleasedOneWay(ctx, { name: 'feedback', space: 'term', arrayJoin: "splitByChar('|', props['text'])", key: 'joined', display: mappedValue, where: "props['text'] != ''" })
  const rareRow = t.rows.get(RARE)
  t.rows.delete(RARE)
  const themes = [...t.rows]
    .map(([term, f]) => ({ term, users: f.people, count: f.events }))
    .sort((a, b) => b.count - a.count || a.term.localeCompare(b.term))
    .slice(0, THEMES)
  return { themes, rare: rareRow && rareRow.events > 0 ? { events: rareRow.events } : null }
}
