// Report-statistics queries per report (issue 4): how often, by how many users, how long
// (p50 and p95 of duration_ms from quantile states) and how often they fail.
import { num, round, select, str } from '../db.ts'
import { hide, metaOf } from '../meta.ts'
import { oneWayCells, otherSum } from '../table.ts'
import type { ReportContext } from './context.ts'
import { loadOneWay } from './one-way.ts'

export async function reportQueriesReport(ctx: ReportContext, limit: number) {
  const k = ctx.app.k_anonymity
  const { total, rows } = await loadOneWay(
    ctx,
    'report_query',
    `SELECT report, uniqCombinedMergeState(12)(users) AS st, uniqCombinedMerge(12)(users) AS cu, sum(queries) AS n, sum(failed) AS f,
            sum(rows) AS r, sum(duration_ms) AS d, quantilesMergeState(0.5, 0.95)(quantiles) AS qs
     FROM agg_report_queries_daily
     WHERE app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}
     GROUP BY report`,
    'report',
    ['sum(n) AS queries', 'sum(f) AS failed', 'sum(r) AS rows', 'sum(d) AS duration', 'quantilesMerge(0.5, 0.95)(qs) AS q'],
  )
  const measures = (r: Record<string, unknown>) => {
    const q = Array.isArray(r.q) ? r.q.map(num) : [0, 0]
    const queries = num(r.queries)
    return {
      users: num(r.users), queries, failed: num(r.failed), failure_rate: queries ? round(num(r.failed) / queries) : 0,
      avg_rows: queries ? round(num(r.rows) / queries, 1) : 0, avg_ms: queries ? round(num(r.duration) / queries, 1) : 0,
      p50_ms: round(q[0] ?? 0, 1), p95_ms: round(q[1] ?? 0, 1),
    }
  }
  const { cells, hidden } = oneWayCells(rows, total, k, (r) => [str(r.report), measures(r)])
  const all = rows.find((r) => num(r.g) === 1)
  const reports = [...cells]
    .filter(([report]) => !hidden.has(report))
    .map(([report, c]) => ({ report, ...hide(false, c) }))
    .sort((a, b) => (b.queries ?? 0) - (a.queries ?? 0) || a.report.localeCompare(b.report))
    .slice(0, limit)
  return {
    meta: metaOf(ctx.app, ctx.range),
    total: hide(total.suppressed, all ? measures(all) : measures({})),
    reports,
    other: otherSum(cells, hidden, total, (c) => c.queries),
  }
}
