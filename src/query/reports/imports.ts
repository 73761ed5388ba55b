// CM data imports over time (issue 4): count, failures and failure rate, records imported.
// Only (salt period, day) slices of cm_data_import with k users count (cells.ts); a bucket
// with data but none of them is suppressed, as in the events report.
import { num, round, select, str } from '../db.ts'
import { bucketsOf } from '../params.ts'
import { cellId, colId, loadMatrix, show } from '../matrix.ts'
import { shownSlices } from '../cells.ts'
import { hide, metaOf } from '../meta.ts'
import { baseParams, minOrgsOf, releaseOf, type ReportContext } from './context.ts'
import { loadAtoms } from '../atoms.ts'
import { addTo, emptyFigure, releaseAtoms, type Figure } from '../release.ts'

export async function importsReport(ctx: ReportContext) {
  if (ctx.noiseKey) return releasedImports(ctx)
  const [m, rows] = await Promise.all([
    loadMatrix(ctx.client, { app: ctx.app.id, k: ctx.app.k_anonymity, minOrgs: minOrgsOf(ctx), range: ctx.range, by: 'time', names: ['cm_data_import'] }),
    select(
      ctx.client,
      `SELECT toString(if({week:Bool}, toMonday(day), day)) AS bucket, grouping(bucket) AS g,
              sum(imports) AS imports, sum(failed) AS failed, sum(records) AS records
       FROM agg_imports_daily
       WHERE app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date} AND ${shownSlices(ctx.app.k_anonymity, minOrgsOf(ctx))}
       GROUP BY GROUPING SETS ((bucket), ())`,
      { ...baseParams(ctx), k: ctx.app.k_anonymity, slice: 'cm_data_import' },
    ),
  ])
  const byBucket = new Map(rows.map((r) => [num(r.g) === 1 ? '' : str(r.bucket), { imports: num(r.imports), failed: num(r.failed), records: num(r.records) }]))
  const cell = (key: string, id: string) => {
    const { users, suppressed } = show(m, id)
    const c = byBucket.get(key) ?? { imports: 0, failed: 0, records: 0 }
    return hide(suppressed, { users, imports: c.imports, failed: c.failed, failure_rate: c.imports ? round(c.failed / c.imports) : 0, records: c.records })
  }
  return {
    meta: metaOf(ctx.app, ctx.range, !!ctx.noiseKey),
    total: cell('', colId('cm_data_import')),
    points: bucketsOf(ctx.range).map((bucket) => ({ bucket, ...cell(bucket, cellId(bucket, 'cm_data_import')) })),
  }
}

/**
 * The same from released atoms (release.ts): imports and failures per (period, day) slice of
 * cm_data_import, noisy and clamped per person; records (a sum of values) are withheld (null),
 * as no bounded, noisy release of them is built yet (docs/reports.md "Noise").
 */
async function releasedImports(ctx: ReportContext) {
  const atoms = await loadAtoms(ctx.client, { app: ctx.app.id, from: ctx.range.from, to: ctx.range.to, names: ['cm_data_import'], counts: { failed: "props['status'] = 'failed'" }, levels: ['slice'] })
  const total = emptyFigure()
  const buckets = new Map<string, Figure>()
  const bucketOf = (day: string) => (ctx.range.week ? bucketsOf({ from: day, to: day, week: true })[0]! : day)
  for (const r of releaseAtoms(atoms.get('slice') ?? [], releaseOf(ctx))) {
    addTo(total, r)
    const b = bucketOf(r.atom.day)
    addTo(buckets.get(b) ?? (buckets.set(b, emptyFigure()), buckets.get(b)!), r)
  }
  const cell = (f: Figure | undefined) => {
    const x = f ?? emptyFigure()
    const failed = Math.min(x.counts.failed ?? 0, x.events)
    return hide(x.shown === 0 && x.hidden > 0, { users: x.people, imports: x.events, failed, failure_rate: x.events ? round(failed / x.events) : 0, records: null })
  }
  return { meta: metaOf(ctx.app, ctx.range, !!ctx.noiseKey), total: cell(total), points: bucketsOf(ctx.range).map((bucket) => ({ bucket, ...cell(buckets.get(bucket)) })) }
}
