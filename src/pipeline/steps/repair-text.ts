// repair_text: every string of the row is well-formed UTF-16 before it is stored. A lone
// surrogate ("\ud800" in the JSON) is valid JavaScript but not text: ClickHouse refuses the
// whole insert over it. It becomes U+FFFD, as TextEncoder and every UTF-8 encoder do, so one
// odd event is neither lost nor able to take its batch (or its neighbours' batches) down.
import type { EventRow } from '../types.ts'

const repair = (s: string) => (s.isWellFormed() ? s : s.toWellFormed())

function repairMap<V>(m: Record<string, V>, value: (v: V) => V): Record<string, V> {
  for (const k in m) {
    const v = value(m[k]!)
    if (!k.isWellFormed()) {
      delete m[k]
      m[k.toWellFormed()] = v
    } else m[k] = v
  }
  return m
}

export function createRepairTextStep() {
  return function repairText(row: EventRow): EventRow {
    for (let i = 0; i < row.length; i++) {
      const v = row[i]
      if (typeof v === 'string') (row as unknown[])[i] = repair(v)
    }
    row[9] = repairMap(row[9], repair) // props
    row[10] = repairMap(row[10], (n) => n) // metrics: keys only
    return row
  }
}
