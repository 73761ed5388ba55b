// Session length over time (issue 4): app_stop carries uptime_ms since its app_start. Only
// (salt period, day) slices of app_stop with k users count (cells.ts), the slices the events
// report shows, so the figures here never reveal what it hides.
import { num, round, select, str } from '../db.ts'
import { bucketsOf } from '../params.ts'
import { cellId, colId, loadMatrix, show, type Matrix } from '../matrix.ts'
import { shownSlices } from '../cells.ts'
import { hide, metaOf } from '../meta.ts'
import { loadTable } from '../atom-matrix.ts'
import { baseParams, minOrgsOf, type ReportContext } from './context.ts'

interface Lengths {
  sessions: number
  avg_ms: number
  p50_ms: number
  p95_ms: number
}

export async function sessionsReport(ctx: ReportContext) {
  if (ctx.noiseKey) return releasedSessions(ctx)
  const [m, rows] = await Promise.all([
    loadMatrix(ctx.client, { app: ctx.app.id, k: ctx.app.k_anonymity, minOrgs: minOrgsOf(ctx), range: ctx.range, by: 'time', names: ['app_stop', 'app_start'] }),
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
    lengths.set(num(r.g) === 1 ? '' : str(r.bucket), { sessions, avg_ms: sessions ? round(num(r.uptime) / sessions, 1) : 0, p50_ms: round(q[0] ?? 0, 1), p95_ms: round(q[1] ?? 0, 1) })
  }
  const none: Lengths = { sessions: 0, avg_ms: 0, p50_ms: 0, p95_ms: 0 }
  const starts = (id: string) => showStarts(m, id)
  return {
    meta: metaOf(ctx.app, ctx.range, !!ctx.noiseKey),
    total: { ...hide(show(m, colId('app_stop')).suppressed, { ...(lengths.get('') ?? none) }), starts: starts(colId('app_start')) },
    points: bucketsOf(ctx.range).map((bucket) => ({
      bucket,
      ...hide(show(m, cellId(bucket, 'app_stop')).suppressed, { ...(lengths.get(bucket) ?? none) }),
      starts: starts(cellId(bucket, 'app_start')),
    })),
  }
}

function showStarts(m: Matrix, id: string): number | null {
  return show(m, id).events
}

/**
 * The same from released atoms (atom-matrix.ts): sessions are the released app_stop events of
 * each bucket, starts the app_start ones; averages and percentiles of uptime are withheld (null),
 * as no bounded, noisy release of them is built yet (docs/reports.md "Noise").
 */
async function releasedSessions(ctx: ReportContext) {
  const m = await loadTable(ctx, { by: 'time', names: ['app_stop', 'app_start'] })
  const lengths = (id: string) => {
    const c = show(m, id)
    return hide(c.suppressed, { sessions: c.events ?? 0, avg_ms: null, p50_ms: null, p95_ms: null })
  }
  return {
    meta: metaOf(ctx.app, ctx.range, !!ctx.noiseKey),
    total: { ...lengths(colId('app_stop')), starts: showStarts(m, colId('app_start')) },
    points: bucketsOf(ctx.range).map((bucket) => ({ bucket, ...lengths(cellId(bucket, 'app_stop')), starts: showStarts(m, cellId(bucket, 'app_start')) })),
  }
}
