// Page views per normalised path (issue 4); paths were normalised at ingestion (ids -> :id).
// Paths are sub-cells of the page_view slices (cells.ts): a path is listed only for the
// (salt period, day) cells where it had k viewers, and never named otherwise. A segment fewer
// than k people sent is stored as a token and shown as `:rare` (values.ts).
import { num, select, str } from '../db.ts'
import { hide, metaOf } from '../meta.ts'
import { oneWayCells, oneWaySql, totalOf } from '../table.ts'
import { baseParams, minOrgsOf, type ReportContext } from './context.ts'
import { mappedPath } from '../values.ts'
import { loadReleasedOneWay } from '../atom-table.ts'

export async function pagesReport(ctx: ReportContext, limit: number) {
  if (ctx.noiseKey) return releasedPages(ctx, limit)
  const rows = await select(
    ctx.client,
    oneWaySql(
      { table: 'agg_pages_daily', where: 'app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}', partition: [], key: mappedPath('path'), e: 'sum(views)' },
      ctx.app.k_anonymity,
      minOrgsOf(ctx),
      (cond, sfx) => [`sumIf(e, ${cond}) AS views${sfx}`],
    ),
    { ...baseParams(ctx), k: ctx.app.k_anonymity },
  )
  const t = oneWayCells(rows, (r) => [str(r.key), { users: num(r.users), views: num(r.views) }])
  const paths = [...t.cells]
    .map(([path, c]) => ({ path, ...hide(false, c) }))
    .sort((a, b) => (b.views ?? 0) - (a.views ?? 0) || a.path.localeCompare(b.path))
    .slice(0, limit)
  return {
    meta: metaOf(ctx.app, ctx.range, !!ctx.noiseKey),
    total: totalOf(t, (r) => ({ users: num(r.users), views: num(r.views) })),
    paths,
    other: t.other,
  }
}

/** The same answer from released atoms (atom-table.ts): each path's (period, day) atoms of page_view. */
async function releasedPages(ctx: ReportContext, limit: number) {
  const t = await loadReleasedOneWay(ctx, { name: 'page_view', space: 'path', key: "props['path']", display: mappedPath })
  const paths = [...t.rows]
    .map(([path, f]) => ({ path, ...hide(false, { users: f.people, views: f.events }) }))
    .sort((a, b) => (b.views ?? 0) - (a.views ?? 0) || a.path.localeCompare(b.path))
    .slice(0, limit)
  return { meta: metaOf(ctx.app, ctx.range, !!ctx.noiseKey), total: hide(t.suppressed, { users: t.total.people, views: t.total.events }), paths, other: t.other }
}
