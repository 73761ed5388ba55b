// Report-statistics queries per report (issue 4): how often, by how many users, how long
// (p50 and p95 of duration_ms from quantile states) and how often they fail. Reports are
// sub-cells of the report_query slices (cells.ts).
import { num, round, select, str, type Row } from '../db.ts'
import { hide, metaOf } from '../meta.ts'
import { oneWayCells, oneWaySql, totalOf } from '../table.ts'
import { baseParams, minOrgsOf, type ReportContext } from './context.ts'
import { mappedValue, RARE, takeRare } from '../values.ts'
import { loadReleasedOneWay } from '../atom-table.ts'
import type { Figure } from '../release.ts'

export async function reportQueriesReport(ctx: ReportContext, limit: number) {
  if (ctx.noiseKey) return releasedReportQueries(ctx, limit)
  const rows = await select(
    ctx.client,
    oneWaySql(
      {
        table: 'agg_report_queries_daily', where: 'app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}', partition: [], key: mappedValue('report'), e: 'sum(queries)',
        fold: ['sum(failed) AS f', 'sum(rows) AS r', 'sum(duration_ms) AS d', 'quantilesMergeState(0.5, 0.95)(quantiles) AS qs'],
      },
      ctx.app.k_anonymity,
      minOrgsOf(ctx),
      (cond, sfx) => [
        `sumIf(e, ${cond}) AS queries${sfx}`, `sumIf(f, ${cond}) AS failed${sfx}`, `sumIf(r, ${cond}) AS rows${sfx}`,
        `sumIf(d, ${cond}) AS duration${sfx}`, `quantilesMergeIf(0.5, 0.95)(qs, ${cond}) AS q${sfx}`,
      ],
    ),
    { ...baseParams(ctx), k: ctx.app.k_anonymity },
  )
  const measures = (r: Row) => {
    const q = Array.isArray(r.q) ? r.q.map(num) : [0, 0]
    const queries = num(r.queries)
    return {
      users: num(r.users), queries, failed: num(r.failed), failure_rate: queries ? round(num(r.failed) / queries) : 0,
      avg_rows: queries ? round(num(r.rows) / queries, 1) : 0, avg_ms: queries ? round(num(r.duration) / queries, 1) : 0,
      p50_ms: round(q[0] ?? 0, 1), p95_ms: round(q[1] ?? 0, 1),
    }
  }
  const t = oneWayCells(rows, (r) => [str(r.key), measures(r)])
  // Reports fewer than k people ran are no row: only their count (values.ts).
  const rare = takeRare(t, (c) => c.queries)
  const reports = [...t.cells]
    .map(([report, c]) => ({ report, ...hide(false, c) }))
    .sort((a, b) => (b.queries ?? 0) - (a.queries ?? 0) || a.report.localeCompare(b.report))
    .slice(0, limit)
  return {
    meta: metaOf(ctx.app, ctx.range, !!ctx.noiseKey),
    total: totalOf(t, measures),
    reports,
    other: t.other,
    rare,
  }
}

/**
 * The same answer from released atoms (atom-table.ts): queries and failures per report are
 * noisy counts; averages and percentiles of durations and rows are withheld (null), as no
 * bounded, noisy release of them is built yet (docs/reports.md "Noise").
 */
async function releasedReportQueries(ctx: ReportContext, limit: number) {
  const t = await loadReleasedOneWay(ctx, { name: 'report_query', space: 'report', key: "props['report']", display: mappedValue, counts: { failed: "props['status'] != 'ok'" } })
  const measures = (f: Figure) => {
    const failed = f.counts.failed ?? 0
    return { users: f.people, queries: f.events, failed, failure_rate: f.events ? round(Math.min(failed, f.events) / f.events) : 0, avg_rows: null, avg_ms: null, p50_ms: null, p95_ms: null }
  }
  const rareRow = t.rows.get(RARE)
  t.rows.delete(RARE)
  const reports = [...t.rows]
    .map(([report, f]) => ({ report, ...hide(false, measures(f)) }))
    .sort((a, b) => (b.queries ?? 0) - (a.queries ?? 0) || a.report.localeCompare(b.report))
    .slice(0, limit)
  return { meta: metaOf(ctx.app, ctx.range, !!ctx.noiseKey), total: hide(t.suppressed, measures(t.total)), reports, other: t.other, rare: rareRow && rareRow.events > 0 ? { events: rareRow.events } : null }
}
