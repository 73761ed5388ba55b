// Rule and label changes over time (issue 4): add, change and remove counts, one series per
// event name, taken from the events table of slices so they match the events report.
import { bucketsOf } from '../params.ts'
import { loadTable } from '../atom-matrix.ts'
import { metaOf } from '../meta.ts'
import { seriesOf } from './events.ts'
import type { ReportContext } from './context.ts'

export const CHANGE_EVENTS = ['rule_add', 'rule_change', 'rule_remove', 'label_add', 'label_change', 'label_remove'] as const

export async function changesReport(ctx: ReportContext) {
  const m = await loadTable(ctx, { by: 'time', names: CHANGE_EVENTS })
  const buckets = bucketsOf(ctx.range)
  // The six actions are a fixed list, always returned: a figure without a shown cell answers as
  // one never used, 0 and not suppressed (issue 26, "Existence"), so no action's use by fewer
  // than k people shows.
  const asUnused = <T extends { users: number | null; events: number | null; suppressed: boolean }>(c: T) => (c.suppressed ? { ...c, users: 0, events: 0, suppressed: false } : c)
  const series = CHANGE_EVENTS.map((name) => seriesOf(m, buckets, name)).map((s) => ({ ...s, total: asUnused(s.total), points: s.points.map(asUnused) }))
  return { meta: metaOf(ctx.app, ctx.range, !!ctx.noiseKey), buckets, series }
}
