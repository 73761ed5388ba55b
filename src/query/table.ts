// One-way tables (paths, reports, ratings, crash fingerprints): the sub-cells of one event
// name's slices (cells.ts), summed over the range. Rows are their shown sub-cells; the total is
// the name's shown slices, the same number the events report shows for that name.
import { FIGURES, foldSubCells, type SubCells } from './cells.ts'
import { num, type Row } from './db.ts'
import { hide } from './meta.ts'

/**
 * The cells of one table of sub-cells (cells.ts) by key, and their total. `measures(cond,
 * suffix)` aggregates the folded measures over the rows where `cond` holds, named with
 * `suffix`: once over shown sub-cells (rows), once over shown slices (total, `_all`).
 */
export function oneWaySql(c: SubCells, k: number, minOrgs: number, measures: (cond: string, suffix: string) => readonly string[]): string {
  return `SELECT key, grouping(key) AS g, ${FIGURES}, ${[...measures('ok', ''), ...measures('slice_ok', '_all')].join(', ')}
    FROM (${foldSubCells(c, k, minOrgs)}) GROUP BY GROUPING SETS ((key), ())`
}

export interface OneWay<T> {
  /** Keys with at least one shown sub-cell, and their shown numbers. Nothing else is listed. */
  cells: Map<string, T>
  /** The total row (measures with the `_all` suffix), or undefined when there is no data. */
  total: Row | undefined
  /** The total is suppressed: data, but no shown slice. */
  suppressed: boolean
  /**
   * Hidden sub-cells of shown slices: their summed measure; null when none. Not how many cells
   * they are: that count would tell that values under k exist (issue 26, "Existence").
   */
  other: { value: number } | null
}

export function oneWayCells<T>(rows: readonly Row[], toCell: (r: Row) => [string, T]): OneWay<T> {
  const cells = new Map(rows.filter((r) => num(r.g) === 0 && num(r.shown) > 0).map(toCell))
  const total = rows.find((r) => num(r.g) === 1)
  const suppressed = total !== undefined && num(total.slices_shown) === 0 && num(total.hidden) > 0
  const other = total && !suppressed && num(total.other_cells) > 0 ? { value: num(total.other_events) } : null
  return { cells, total, suppressed, other }
}

/** The `_all` measures of a total row under their plain names, users from the shown slices. */
export function totalOf<T extends Record<string, number | null>>(t: OneWay<unknown>, measures: (r: Row) => T): T & { suppressed: boolean } {
  const r = t.total ?? {}
  const plain: Row = { users: num(r.slice_users) }
  for (const [key, v] of Object.entries(r)) if (key.endsWith('_all')) plain[key.slice(0, -4)] = v
  return hide(t.suppressed, measures(plain))
}
