// Page views per normalised path (issue 4); paths were normalised at ingestion (ids -> :id).
// Paths are sub-cells of the page_view slices (cells.ts): a path is listed only where its
// released atoms passed the noisy k decision (release.ts), and never named otherwise. A segment
// fewer than k people sent is stored as a token and shown as `:rare` (values.ts).
import { hide, metaOf } from '../meta.ts'
import { loadOneWay, totalOf } from '../table.ts'
import { baseParams, releaseOf, type ReportContext, minOrgsOf } from './context.ts'
import { mappedPath } from '../values.ts'

export async function pagesReport(ctx: ReportContext, limit: number) {
  const t = await loadOneWay(
    ctx.client,
    { minOrgs: minOrgsOf(ctx), name: 'page_view', table: 'agg_pages_daily', where: 'app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}', partition: [], key: mappedPath('path'), e: 'sum(views)' },
    releaseOf(ctx),
    baseParams(ctx),
  )
  const paths = [...t.cells]
    .map(([path, c]) => ({ path, ...hide(false, { users: c.users, views: c.events }) }))
    .sort((a, b) => (b.views ?? 0) - (a.views ?? 0) || a.path.localeCompare(b.path))
    .slice(0, limit)
  return {
    meta: metaOf(ctx.app, ctx.range),
    total: totalOf(t, (r) => ({ users: r.users, views: r.events })),
    paths,
    other: t.other,
  }
}
