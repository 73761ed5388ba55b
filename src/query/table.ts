// One-way tables (paths, reports, ratings, crash fingerprints): cells that are the parts of one
// shown total, usually a per-name total from names.ts whose suppression is already decided.
import { suppressCells } from './suppress.ts'
import { num, type Row } from './db.ts'
import type { Total } from './names.ts'

/**
 * Wraps a query with one row per cell (columns key, st = uniq state, cu = users, and sums)
 * so that it also returns a total row (g = 1) whose `hidden` merges the users of the cells
 * under k.
 */
export function oneWaySql(inner: string, key: string, outer: readonly string[]): string {
  return `SELECT ${key}, grouping(${key}) AS g, uniqCombinedMerge(12)(st) AS users, uniqCombinedMergeIf(12)(st, cu < {k:UInt32}) AS hidden, ${outer.join(', ')}
    FROM (${inner}) GROUP BY GROUPING SETS ((${key}), ())`
}

const TOTAL = '\u0000total'

/** hiddenUsers: users of the cells under k merged in ClickHouse (see suppress.ts). */
export function suppressOneWay(cellUsers: ReadonlyMap<string, number>, total: Total, k: number, hiddenUsers = 0): Set<string> {
  const users = new Map(cellUsers)
  users.set(TOTAL, total.users)
  const hidden = suppressCells(users, [{ total: TOTAL, parts: [...cellUsers.keys()], hiddenUsers }], k, total.suppressed ? [TOTAL] : [])
  hidden.delete(TOTAL)
  return hidden
}

/** Sum of a measure over the hidden cells of a shown total; null when nothing is hidden. */
export function otherSum<T>(cells: ReadonlyMap<string, T>, hidden: ReadonlySet<string>, total: Total, measure: (c: T) => number): { value: number; cells: number } | null {
  if (total.suppressed || hidden.size === 0) return null
  let value = 0
  for (const id of hidden) value += measure(cells.get(id)!)
  return { value, cells: hidden.size }
}

/**
 * The rows of an oneWaySql query as cells by id, and the ids to hide (under k, and those that
 * would let a hidden one be worked out from the total).
 */
export function oneWayCells<T extends { users: number }>(rows: readonly Row[], total: Total, k: number, toCell: (r: Row) => [string, T]) {
  const cells = new Map(rows.filter((r) => num(r.g) === 0).map(toCell))
  const hiddenUsers = num(rows.find((r) => num(r.g) === 1)?.hidden)
  const hidden = suppressOneWay(new Map([...cells].map(([id, c]) => [id, c.users])), total, k, hiddenUsers)
  return { cells, hidden }
}
