// repair_text: every string of the row is well-formed UTF-16 before it is stored. A lone
// surrogate ("\ud800" in the JSON) is valid JavaScript but not text: ClickHouse refuses the
// whole insert over it. It becomes U+FFFD, as TextEncoder and every UTF-8 encoder do, so one
// odd event is neither lost nor able to take its batch (or its neighbours' batches) down.
import type { EventRow } from '../types.ts'

/** Keys, and string values when asked, made well-formed; an entry is written only when it changes. */
function repairMap(m: Record<string, unknown>, values: boolean): void {
  for (const k in m) {
    const v = m[k]
    const fixed = values && typeof v === 'string' && !v.isWellFormed() ? v.toWellFormed() : v
    if (!k.isWellFormed()) {
      delete m[k]
      m[k.toWellFormed()] = fixed
    } else if (fixed !== v) m[k] = fixed
  }
}

export function createRepairTextStep() {
  return function repairText(row: EventRow): EventRow {
    for (let i = 0; i < row.length; i++) {
      const v = row[i]
      if (typeof v === 'string' && !v.isWellFormed()) (row as unknown[])[i] = v.toWellFormed()
    }
    repairMap(row[9], true) // props
    repairMap(row[10], false) // metrics: keys only
    return row
  }
}
