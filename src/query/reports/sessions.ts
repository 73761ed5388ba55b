// Session length over time (issue 4): app_stop carries uptime_ms since its app_start. Sessions
// are the app_stop events of the shown slices, the released atoms of the events report
// (matrix.ts); averages and percentiles are exact and shown only for buckets of many people.
import { num, round, select, str } from '../db.ts'
import { bucketsOf } from '../params.ts'
import { cellId, colId, loadMatrix, show, type Matrix } from '../matrix.ts'
import { shownSlices } from '../cells.ts'
import { hide, metaOf } from '../meta.ts'
import { averagesShown } from '../release.ts'
import { baseParams, releaseOf, type ReportContext, minOrgsOf } from './context.ts'

interface Lengths {
  avg_ms: number | null
  p50_ms: number | null
  p95_ms: number | null
}

export async function sessionsReport(ctx: ReportContext) {
  const rel = releaseOf(ctx)
  const [m, rows] = await Promise.all([
    loadMatrix(ctx.client, { app: ctx.app.id, k: ctx.app.k_anonymity, minOrgs: minOrgsOf(ctx), range: ctx.range, by: 'time', names: ['app_stop', 'app_start'] }, rel),
    select(
      ctx.client,
      `SELECT toString(if({week:Bool}, toMonday(day), day)) AS bucket, grouping(bucket) AS g,
              sum(sessions) AS sessions, sum(uptime_ms) AS uptime, quantilesMerge(0.5, 0.95)(quantiles) AS q
       FROM agg_sessions_daily
       WHERE app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date} AND ${shownSlices(ctx.app.k_anonymity, minOrgsOf(ctx))}
       GROUP BY GROUPING SETS ((bucket), ())`,
      { ...baseParams(ctx), k: ctx.app.k_anonymity, slice: 'app_stop' },
    ),
  ])
  const lengths = new Map<string, Lengths>()
  for (const r of rows) {
    const q = Array.isArray(r.q) ? r.q.map(num) : [0, 0]
    const sessions = num(r.sessions)
    lengths.set(num(r.g) === 1 ? '' : str(r.bucket), { avg_ms: sessions ? round(num(r.uptime) / sessions, 1) : 0, p50_ms: round(q[0] ?? 0, 1), p95_ms: round(q[1] ?? 0, 1) })
  }
  const figures = (key: string, id: string) => {
    const stops = show(m, id)
    const l = lengths.get(key) ?? { avg_ms: 0, p50_ms: 0, p95_ms: 0 }
    const averages = averagesShown(rel, stops.users)
    return hide(stops.suppressed, { sessions: stops.events ?? 0, avg_ms: averages ? l.avg_ms : null, p50_ms: averages ? l.p50_ms : null, p95_ms: averages ? l.p95_ms : null })
  }
  const starts = (id: string) => showStarts(m, id)
  return {
    meta: metaOf(ctx.app, ctx.range),
    total: { ...figures('', colId('app_stop')), starts: starts(colId('app_start')) },
    points: bucketsOf(ctx.range).map((bucket) => ({ bucket, ...figures(bucket, cellId(bucket, 'app_stop')), starts: starts(cellId(bucket, 'app_start')) })),
  }
}

function showStarts(m: Matrix, id: string): number | null {
  return show(m, id).events
}
