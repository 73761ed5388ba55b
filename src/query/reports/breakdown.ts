// Users and events by country, OS, browser, device type, language, screen size or app version
// (issue 4), for all events or one event name. An empty value means "unknown".
import type { Dimension } from '../params.ts'
import { cellId, colId, GRAND, otherOf, rowId, show } from '../matrix.ts'
import { loadTable } from '../atom-matrix.ts'
import { metaOf } from '../meta.ts'
import type { ReportContext } from './context.ts'

export async function breakdownReport(ctx: ReportContext, dimension: Dimension, event?: string) {
  const m = await loadTable(ctx, { by: dimension, ...(event ? { names: [event] } : {}) })
  // A name without a shown slice in the range answers as suppressed whether it was used or
  // not, so that the answer does not tell which names exist.
  const unlisted = event !== undefined && !m.cols.includes(event)
  const total = event ? colId(event) : GRAND
  const partsOf = (value: string) => (event ? cellId(value, event) : rowId(value))
  const rows = m.rows
    .map((value) => ({ value, ...show(m, partsOf(value)) }))
    // A value without a shown cell is left out, not listed: its name alone (a small country,
    // a rare screen) can single people out. What it holds within shown slices is in `other`.
    .filter((r) => !r.suppressed && (r.events ?? 0) > 0)
    .sort((a, b) => (b.users ?? 0) - (a.users ?? 0) || a.value.localeCompare(b.value))
  return {
    meta: metaOf(ctx.app, ctx.range, !!ctx.noiseKey),
    dimension,
    event: event ?? null,
    total: unlisted ? { users: null, events: null, suppressed: true } : show(m, total),
    rows: unlisted ? [] : rows,
    other: unlisted ? null : otherOf(m, total),
  }
}
