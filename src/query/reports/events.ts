// Active users and events per event name over time (issue 4): a series per name and one for
// all events, a names table for the range, all from one two-way table of (salt period, day)
// slices (matrix.ts). A name with no shown slice in the range is never listed.
import { bucketsOf } from '../params.ts'
import { cellId, colId, GRAND, rowId, show, type Matrix } from '../matrix.ts'
import { loadTable } from '../atom-matrix.ts'
import { metaOf } from '../meta.ts'
import type { ReportContext } from './context.ts'

export async function eventsReport(ctx: ReportContext, event?: string) {
  const m = await loadTable(ctx, { by: 'time' })
  const buckets = bucketsOf(ctx.range)
  const names = m.cols
    .map((name) => ({ name, ...show(m, colId(name)) }))
    .sort((a, b) => (b.events ?? 0) - (a.events ?? 0) || a.name.localeCompare(b.name))
  return {
    meta: metaOf(ctx.app, ctx.range, !!ctx.noiseKey),
    buckets,
    total: show(m, GRAND),
    all: { name: '(all events)', total: show(m, GRAND), points: buckets.map((b) => ({ bucket: b, ...show(m, rowId(b)) })) },
    // A name asked for but not listed (no shown slice in the range) gets no series, the same
    // answer as a name never used: neither its existence nor its days are given away.
    series: (event ? m.cols.filter((name) => name === event) : m.cols).map((name) => seriesOf(m, buckets, name)),
    names,
  }
}

export function seriesOf(m: Matrix, buckets: string[], name: string) {
  return {
    name,
    total: show(m, colId(name)),
    points: buckets.map((bucket) => ({ bucket, ...show(m, cellId(bucket, name)) })),
  }
}
