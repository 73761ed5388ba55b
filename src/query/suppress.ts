// k-anonymity for report tables (PRIVACY.md 8, issue 4): primary suppression of every cell with
// fewer than k distinct users, then secondary suppression so that no total can be used to
// recover a suppressed cell by subtraction. Pure: cells in, the set of suppressed ids out.

/** A total that is shown, and the cells it is the sum of (events are additive). */
export interface Partition {
  total: string
  parts: readonly string[]
  /** Distinct users of the parts under k together (their merged hash sets), when known. */
  hiddenUsers?: number
}

/**
 * Returns the ids to suppress.
 *
 * Primary: users < k (zero-user cells with events, i.e. anonymous events, included; cells
 * that are absent are true zeros and need no protection).
 *
 * Secondary: for every partition whose total is shown, the suppressed parts form a remainder
 * (total minus the visible parts) that anyone can compute. It must describe at least k people.
 * Distinct users are not additive: the remainder holds at least as many users as its largest
 * cell, and at least `hiddenUsers` (the parts under k merged in ClickHouse), since it contains
 * every part under k. While both are below k, the visible
 * part with the fewest users (ties: smallest id, for stable answers) is suppressed too. That
 * cell has at least k users, so the remainder now does; and every other partition the cell
 * belongs to gets a remainder of at least k users as well, so the loop ends quickly.
 * `forced` ids are suppressed from the start (decisions another table already made public).
 */
export function suppressCells(
  users: ReadonlyMap<string, number>,
  partitions: readonly Partition[],
  k: number,
  forced: Iterable<string> = [],
): Set<string> {
  const out = new Set<string>(forced)
  for (const [id, u] of users) if (u < k) out.add(id)
  let changed = true
  while (changed) {
    changed = false
    for (const p of partitions) {
      if (out.has(p.total) || !users.has(p.total)) continue
      let largestHidden = -1
      let candidate: string | undefined
      for (const id of p.parts) {
        if (!users.has(id)) continue
        const u = users.get(id)!
        if (out.has(id)) largestHidden = Math.max(largestHidden, u)
        else if (candidate === undefined || u < users.get(candidate)! || (u === users.get(candidate)! && id < candidate)) candidate = id
      }
      // No hidden part, or the remainder already holds k users, or it is the whole total.
      if (largestHidden < 0 || largestHidden >= k || (p.hiddenUsers ?? 0) >= k || candidate === undefined) continue
      out.add(candidate)
      changed = true
    }
  }
  return out
}
