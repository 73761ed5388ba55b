// Feedback (issue 4, 25): the rating distribution, and the themes of the texts: the words and
// short phrases k people of a period used (PRIVACY.md 17), with their counts. Ratings and terms
// are sub-cells of their slices (cells.ts), released as atoms (release.ts); a text is stored as
// its terms, never verbatim unless its app declares it (sql/0050_values.sql).
import { hide, metaOf } from '../meta.ts'
import { loadOneWay, totalOf } from '../table.ts'
import { mappedValue, takeRare } from '../values.ts'
import { baseParams, releaseOf, type ReportContext, minOrgsOf } from './context.ts'

/** The ratings, a fixed list: 0 = no rating. */
export const RATINGS = [0, 1, 2, 3, 4, 5] as const

export async function feedbackReport(ctx: ReportContext) {
  const t = await loadOneWay(
    ctx.client,
    { minOrgs: minOrgsOf(ctx), name: 'feedback', table: 'agg_feedback_daily', where: 'app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}', partition: [], key: 'rating', e: 'sum(count)' },
    releaseOf(ctx),
    baseParams(ctx),
  )
  // The ratings are a fixed list, so a rating without a shown atom answers as one never used
  // (issue 26, "Existence"): 0, not suppressed; a noisy count of a small cell can be 0 too.
  const ratings = RATINGS.map((rating) => {
    const c = t.cells.get(String(rating))
    return { rating, ...hide(false, { users: c?.users ?? 0, count: c?.events ?? 0 }) }
  })
  const shown = ratings.filter((r) => (r.count ?? 0) > 0)
  return {
    meta: metaOf(ctx.app, ctx.range),
    total: totalOf(t, (r) => ({ users: r.users, count: r.events })),
    ratings,
    other: t.other,
    ...(shown.length && !t.suppressed ? await themes(ctx) : { themes: [], rare: null }),
  }
}

/** Themes returned at most: the words and phrases most used. */
export const THEMES = 30

async function themes(ctx: ReportContext) {
  // Each (period, day) is a slice of the authors of a text; a term is a sub-cell of it, shown
  // with k authors and after the noisy gate (release.ts), and only once published (values.ts):
  // a term fewer than k people used is a token in the table and reaches the answer only as part
  // of `rare`. Fakes alone can fill a term's group, but then it shows the fakes' own words.
  const t = await loadOneWay(
    ctx.client,
    { minOrgs: minOrgsOf(ctx), name: 'feedback:terms', table: 'agg_feedback_words_daily', where: 'app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}', partition: [], key: mappedValue('term'), e: 'sum(count)' },
    releaseOf(ctx),
    baseParams(ctx),
  )
  const rare = takeRare(t, (c) => c.events)
  const list = [...t.cells]
    .map(([term, c]) => ({ term, users: c.users, count: c.events }))
    .sort((a, b) => b.count - a.count || a.term.localeCompare(b.term))
    .slice(0, THEMES)
  return { themes: list, rare }
}
