// CM data imports over time (issue 4): count, failures and failure rate, records imported.
// Imports are the cm_data_import events of the shown slices (the released atoms of the events
// report, matrix.ts); failures are atoms of their own per (salt period, day) of a shown slice.
import { num, round, select, str } from '../db.ts'
import { bucketsOf } from '../params.ts'
import { cellId, colId, loadMatrix, show } from '../matrix.ts'
import { shownSlices } from '../cells.ts'
import { hide, metaOf } from '../meta.ts'
import { averagesShown, releaseCount } from '../release.ts'
import { baseParams, type ReportContext, releaseOf, minOrgsOf } from './context.ts'

const NAME = 'cm_data_import'

export async function importsReport(ctx: ReportContext) {
  const rel = releaseOf(ctx)
  const [m, rows] = await Promise.all([
    loadMatrix(ctx.client, { app: ctx.app.id, k: ctx.app.k_anonymity, minOrgs: minOrgsOf(ctx), range: ctx.range, by: 'time', names: [NAME] }, rel),
    select(
      ctx.client,
      `SELECT period, toString(day) AS d, toString(if({week:Bool}, toMonday(day), day)) AS bucket, sum(failed) AS failed, sum(records) AS records
       FROM agg_imports_daily
       WHERE app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date} AND ${shownSlices(ctx.app.k_anonymity, minOrgsOf(ctx))}
       GROUP BY period, day, bucket`,
      { ...baseParams(ctx), k: ctx.app.k_anonymity, slice: NAME },
    ),
  ])
  // Failures per (period, day) of a shown slice, released; records are a sum of unclamped
  // values, shown like averages only for buckets of many people (release.ts AVERAGES_MIN_K).
  const byBucket = new Map<string, { failed: number; records: number }>()
  for (const r of rows) {
    if (!m.slices.has(`${num(r.period)}\u001f${NAME}`)) continue
    const failed = releaseCount(rel, ['n', 'failed', num(r.period), str(r.d), NAME, '*'], num(r.failed))
    for (const key of [str(r.bucket), '']) {
      const c = byBucket.get(key) ?? { failed: 0, records: 0 }
      byBucket.set(key, { failed: c.failed + failed, records: c.records + num(r.records) })
    }
  }
  const cell = (key: string, id: string) => {
    const { users, events, suppressed } = show(m, id)
    const imports = events ?? 0
    const c = byBucket.get(key) ?? { failed: 0, records: 0 }
    const failed = Math.min(c.failed, imports)
    return hide(suppressed, { users, imports, failed, failure_rate: imports ? round(failed / imports) : 0, records: averagesShown(rel, users) ? c.records : null })
  }
  return {
    meta: metaOf(ctx.app, ctx.range),
    total: cell('', colId(NAME)),
    points: bucketsOf(ctx.range).map((bucket) => ({ bucket, ...cell(bucket, cellId(bucket, NAME)) })),
  }
}
