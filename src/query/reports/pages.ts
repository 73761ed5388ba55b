// Page views per normalised path (issue 4); paths were normalised at ingestion (ids -> :id).
import { num, str } from '../db.ts'
import { hide, metaOf } from '../meta.ts'
import { oneWayCells, otherSum } from '../table.ts'
import type { ReportContext } from './context.ts'
import { loadOneWay } from './one-way.ts'

export async function pagesReport(ctx: ReportContext, limit: number) {
  const k = ctx.app.k_anonymity
  const { total, rows } = await loadOneWay(
    ctx,
    'page_view',
    `SELECT path, uniqCombinedMergeState(12)(users) AS st, uniqCombinedMerge(12)(users) AS cu, sum(views) AS v
     FROM agg_pages_daily
     WHERE app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}
     GROUP BY path`,
    'path',
    ['sum(v) AS views'],
  )
  const { cells, hidden } = oneWayCells(rows, total, k, (r) => [str(r.path), { users: num(r.users), views: num(r.views) }])
  // Suppressed paths are left out, not listed: a rare path alone can point at a person.
  const paths = [...cells]
    .filter(([path]) => !hidden.has(path))
    .map(([path, c]) => ({ path, ...hide(false, c) }))
    .sort((a, b) => (b.views ?? 0) - (a.views ?? 0) || a.path.localeCompare(b.path))
    .slice(0, limit)
  return {
    meta: metaOf(ctx.app, ctx.range),
    total: hide(total.suppressed, { users: total.users, views: total.events }),
    paths,
    other: otherSum(cells, hidden, total, (c) => c.views),
  }
}
