// k-anonymity per salt period (PRIVACY.md 8 and 14, docs/reports.md): every number a report
// returns is built in ClickHouse from (salt period, day) cells, each decided on its own, so that
// no combination of answers (ranges, buckets, filters, breakdowns) can single out a hidden one.

/**
 * A slice is one event name in one salt period and one day: the unit whose users are counted
 * (hashes of one period are people; across periods one person is many hashes). A slice is
 * shown when it has at least k users. Its sub-cells (a breakdown value, a path, a report, a
 * crash fingerprint, a rating) are shown when they have k users and when the slice's hidden
 * sub-cells together still cover k users; if they do not, the shown sub-cell with the fewest
 * users (ties: smallest key) is hidden too, so "slice minus shown sub-cells" always holds k
 * people or none (secondary suppression, done per slice, never across periods).
 *
 * `inner` must return one row per (period, day, [partition...], key) with columns st (a
 * uniqCombined(12) state), cu (its count) and the measures; the result adds slice_ok and ok.
 */
export function decideSubCells(inner: string, partition: readonly string[]): string {
  const by = ['period', 'day', ...partition].join(', ')
  // A GROUP BY per slice joined back, not window functions: a window finalises the merged
  // state of its slice once per row, which made a 90-day breakdown several times slower.
  return `
    SELECT *, su >= {k:UInt32} AS slice_ok,
           su >= {k:UInt32} AND cu >= {k:UInt32} AND NOT (hn > 0 AND hu < {k:UInt32} AND key = victim) AS ok
    FROM (${inner}) AS cells
    INNER JOIN (
      SELECT ${by}, uniqCombinedMerge(12)(st) AS su, uniqCombinedMergeIf(12)(st, cu < {k:UInt32}) AS hu,
             countIf(cu < {k:UInt32}) AS hn, argMinIf(key, (cu, key), cu >= {k:UInt32}) AS victim
      FROM (${inner})
      GROUP BY ${by}
    ) AS slices USING (${by})`
}

/** Slices alone (one row per period, day and name): shown when they have k users. */
export function decideSlices(inner: string): string {
  return `SELECT *, cu >= {k:UInt32} AS slice_ok, slice_ok AS ok FROM (${inner})`
}

/**
 * The columns every shown figure is made of, for rows of decideSubCells or decideSlices:
 * - users, events: of the shown cells only (the numbers of a row, a bucket, a value);
 * - shown, hidden: how many cells were shown and hidden (hidden = has data, not shown);
 * - slice_users, slice_events: of the shown slices (a name's total, the grand total);
 * - other_events, other_cells: the hidden sub-cells of shown slices, which always cover at
 *   least k users per slice; so a total is its shown rows plus other, exactly.
 */
export const FIGURES = `
  uniqCombinedMergeIf(12)(st, ok) AS users, sumIf(e, ok) AS events,
  countIf(ok) AS shown, countIf(NOT ok) AS hidden,
  uniqCombinedMergeIf(12)(st, slice_ok) AS slice_users, sumIf(e, slice_ok) AS slice_events, countIf(slice_ok) AS slices_shown,
  sumIf(e, slice_ok AND NOT ok) AS other_events, countIf(slice_ok AND NOT ok) AS other_cells`

/** The shown (period, day) slices of the event name {slice:String}, for tables without users (sessions, imports). */
export const SHOWN_SLICES = `(day, period) IN (
  SELECT day, period FROM agg_events_daily
  WHERE app_id = {app:String} AND name = {slice:String} AND day BETWEEN {from:Date} AND {to:Date}
  GROUP BY day, period HAVING uniqCombinedMerge(12)(users) >= {k:UInt32})`
