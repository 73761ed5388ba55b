// Report-statistics queries per report (issue 4): how often, by how many users, how long
// (p50 and p95 of duration_ms from quantile states) and how often they fail. Reports are
// sub-cells of the report_query slices (cells.ts); counts are released atoms (release.ts).
import { num, round, select, str, type Row } from '../db.ts'
import { hide, metaOf } from '../meta.ts'
import { loadOneWay, oneWaySql, totalOf, type OneWayRow } from '../table.ts'
import { averagesShown } from '../release.ts'
import { baseParams, releaseOf, type ReportContext, minOrgsOf } from './context.ts'
import { mappedValue, takeRare } from '../values.ts'

const WHERE = 'app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}'

export async function reportQueriesReport(ctx: ReportContext, limit: number) {
  const rel = releaseOf(ctx)
  const [t, exact] = await Promise.all([
    loadOneWay(ctx.client, { minOrgs: minOrgsOf(ctx), name: 'report_query', table: 'agg_report_queries_daily', where: WHERE, partition: [], key: mappedValue('report'), e: 'sum(queries)', fold: ['sum(failed) AS f'], counts: ['f'] }, rel, baseParams(ctx)),
    // Averages and percentiles: exact aggregates of unclamped values, shown only for rows of
    // many people (release.ts AVERAGES_MIN_K), from the same decision as the counts.
    select(
      ctx.client,
      oneWaySql(
        { table: 'agg_report_queries_daily', where: WHERE, partition: [], key: mappedValue('report'), e: 'sum(queries)', fold: ['sum(rows) AS r', 'sum(duration_ms) AS d', 'quantilesMergeState(0.5, 0.95)(quantiles) AS qs'] },
        ctx.app.k_anonymity,
        minOrgsOf(ctx),
        (cond, sfx) => [`sumIf(e, ${cond}) AS queries${sfx}`, `sumIf(r, ${cond}) AS rows${sfx}`, `sumIf(d, ${cond}) AS duration${sfx}`, `quantilesMergeIf(0.5, 0.95)(qs, ${cond}) AS q${sfx}`],
      ),
      { ...baseParams(ctx), k: ctx.app.k_anonymity },
    ),
  ])
  const byKey = new Map(exact.map((r) => [num(r.g) === 1 ? null : str(r.key), r]))
  const measures = (c: OneWayRow, r: Row | undefined, sfx: string) => {
    const queries = c.events
    const failed = c.counts.f ?? 0
    const n = num(r?.[`queries${sfx}`])
    const q = Array.isArray(r?.[`q${sfx}`]) ? (r[`q${sfx}`] as unknown[]).map(num) : [0, 0]
    const averages = averagesShown(rel, c.users)
    return {
      users: c.users, queries, failed, failure_rate: queries ? round(Math.min(failed, queries) / queries) : 0,
      avg_rows: averages ? (n ? round(num(r?.[`rows${sfx}`]) / n, 1) : 0) : null,
      avg_ms: averages ? (n ? round(num(r?.[`duration${sfx}`]) / n, 1) : 0) : null,
      p50_ms: averages ? round(q[0] ?? 0, 1) : null,
      p95_ms: averages ? round(q[1] ?? 0, 1) : null,
    }
  }
  // Reports fewer than k people ran are no row: only their count (values.ts).
  const rare = takeRare(t, (c) => c.events)
  const reports = [...t.cells]
    .map(([report, c]) => ({ report, ...hide(false, measures(c, byKey.get(report), '')) }))
    .sort((a, b) => (b.queries ?? 0) - (a.queries ?? 0) || a.report.localeCompare(b.report))
    .slice(0, limit)
  return {
    meta: metaOf(ctx.app, ctx.range),
    total: totalOf(t, (c) => measures(c, byKey.get(null), '_all')),
    reports,
    other: t.other,
    rare,
  }
}
