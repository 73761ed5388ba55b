// One-way tables (paths, reports, ratings, crash fingerprints): cells that are the parts of one
// shown total, usually a per-name total from names.ts whose suppression is already decided.
import { suppressCells } from './suppress.ts'
import type { Total } from './names.ts'

const TOTAL = '\u0000total'

export function suppressOneWay(cellUsers: ReadonlyMap<string, number>, total: Total, k: number): Set<string> {
  const users = new Map(cellUsers)
  users.set(TOTAL, total.users)
  const hidden = suppressCells(users, [{ total: TOTAL, parts: [...cellUsers.keys()] }], k, total.suppressed ? [TOTAL] : [])
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
