// k-anonymity per salt period (PRIVACY.md 8 and 14, docs/reports.md): every number a report
// returns is built in ClickHouse from (salt period, day) cells, each decided on its own, so that
// no combination of answers (ranges, buckets, filters, breakdowns) can single out a hidden one.

/** users_upto of the aggregate tables counts exactly up to this many distinct hashes (sql/0030). */
export const UPTO = 32

/**
 * orgs_upto (sql/0070) counts the organisations of a cell's people exactly up to 32: the app
 * setting min_orgs_per_cell is at most that (src/apps/apps.ts).
 */
export const ORGS_UPTO = 32

/**
 * How cells are counted for the k decision. For k up to UPTO + 1 the small uniqUpTo states
 * decide (reading a uniqCombined state costs far more, and a report reads one per cell and
 * period); above that the uniqCombined states, exact for small groups, decide.
 * `cell` names the columns ut (a state) and cu (its count); `merge` merges ut states.
 * With `minOrgs` (the app's min_orgs_per_cell; 0 is off and reads nothing more), a cell whose
 * people belong to fewer organisations counts 0 people, so every `count >= k` hides it; `cell`
 * then also names ot, the cell's orgs_upto state, for the slice decisions of foldSubCells.
 */
export function counting(k: number, minOrgs = 0): { cell: string; count: string; merge: string; mergeIf: string } {
  const [fn, column] = k <= UPTO + 1 ? [`uniqUpTo`, `(${UPTO})(users_upto)`] : ['uniqCombined', '(12)(users)']
  const params = column.slice(0, column.indexOf(')') + 1)
  const people = `${fn}Merge${column}`
  const count = minOrgs > 0 ? `if(uniqUpToMerge(${ORGS_UPTO})(orgs_upto) >= ${orgsLiteral(minOrgs)}, ${people}, 0)` : people
  return {
    cell: `${fn}MergeState${column} AS ut, ${count} AS cu${minOrgs > 0 ? `, uniqUpToMergeState(${ORGS_UPTO})(orgs_upto) AS ot` : ''}`,
    count,
    merge: `${fn}Merge${params}`,
    mergeIf: `${fn}MergeIf${params}`,
  }
}

/** The threshold as a SQL literal: an integer the app schema bounds, checked again here. */
function orgsLiteral(minOrgs: number): string {
  if (!Number.isInteger(minOrgs) || minOrgs < 0 || minOrgs > ORGS_UPTO) throw new Error(`min_orgs_per_cell must be an integer 0..${ORGS_UPTO}, not ${minOrgs}`)
  return String(minOrgs)
}

/**
 * The slice's part of the organisations rule, over its cells' ot states (empty when off): the
 * slice holds people of minOrgs organisations (slice), and its hidden sub-cells together do too
 * (hidden), else the smallest shown sub-cell is hidden as well, like for k.
 */
function orgsOfSlice(minOrgs: number, over = '') {
  if (minOrgs <= 0) return { inputs: '', slice: '', hiddenShort: '' }
  const n = orgsLiteral(minOrgs)
  return {
    inputs: `, uniqUpToMerge(${ORGS_UPTO})(ot)${over} AS so, uniqUpToMergeIf(${ORGS_UPTO})(ot, cu < {k:UInt32})${over} AS ho`,
    slice: ` AND so >= ${n}`,
    hiddenShort: ` OR ho < ${n}`,
  }
}

/** Sub-cells of one aggregate table (see foldSubCells). */
export interface SubCells {
  /** The aggregate table and the filter of its rows, e.g. agg_pages_daily and app and range. */
  table: string
  where: string
  /** Columns that, with period and day, name a slice (e.g. name); kept in the output. */
  partition: readonly string[]
  /** The sub-cell's key within its slice, from the table's columns. */
  key: string
  /** The measure "other" sums, from the table's columns (e.g. sum(views)). */
  e: string
  /** More measures folded per output row (e.g. sum(failed) AS f). */
  fold?: readonly string[]
  /**
   * Many sub-cells of few users each (crash fingerprints): decided in one read of the table
   * (foldInOneRead) instead of a separate decision looked up by the rows. Measured on the bench
   * data sets (docs/reports.md): faster for the fingerprints, not for paths, reports, ratings or
   * breakdowns, whose large states it would carry along.
   */
  sparse?: boolean
}

/**
 * A slice is one event name in one salt period and one day: the unit whose users are counted
 * (hashes of one period are people; across periods one person is many hashes). A slice is
 * shown when it has at least k users. Its sub-cells (a breakdown value, a path, a report, a
 * crash fingerprint, a rating) are shown when they have k users and when the slice's hidden
 * sub-cells together still cover k users; if they do not, the shown sub-cell with the fewest
 * users (ties, e.g. where users_upto stops counting: fewest events, then smallest key) is
 * hidden too, so "slice minus shown sub-cells" always holds k people or none (secondary
 * suppression, done per slice, never across periods).
 *
 * Returns one row per (partition, key, ok, slice_ok) with st (the uniqCombined users of those
 * sub-cells), e, n (how many sub-cells) and the folded measures, ready for FIGURES.
 */
export function foldSubCells(c: SubCells, k: number, minOrgs = 0): string {
  if (c.sparse) return foldInOneRead(c, k, minOrgs)
  const part = c.partition.map((p) => `${p}, `).join('')
  const by = `period, day, ${part}`.replace(/, $/, '')
  const { cell, count, merge, mergeIf } = counting(k, minOrgs)
  const orgs = orgsOfSlice(minOrgs)
  const cells = `SELECT period, day, ${part}${c.key} AS key, ${cell}, ${c.e} AS e FROM ${c.table} WHERE ${c.where} GROUP BY period, day, ${part}key`
  // The decision reads only the small users_upto states; a GROUP BY per slice joined back,
  // not window functions, which finalise a slice's merged state once per row.
  const decided = `
    SELECT period, day, ${part}key, su >= {k:UInt32}${orgs.slice} AS slice_ok,
           su >= {k:UInt32}${orgs.slice} AND cu >= {k:UInt32} AND NOT (hn > 0 AND (hu < {k:UInt32}${orgs.hiddenShort}) AND key = victim) AS ok
    FROM (${cells}) AS cells
    INNER JOIN (
      SELECT ${by}, ${merge}(ut) AS su, ${mergeIf}(ut, cu < {k:UInt32}) AS hu${orgs.inputs},
             countIf(cu < {k:UInt32}) AS hn, argMinIf(key, (cu, e, key), cu >= {k:UInt32}) AS victim
      FROM (${cells})
      GROUP BY ${by}
    ) AS slices USING (${by})`
  // Then the large uniqCombined states are merged once, folded by decision. The decision is
  // looked up with IN (sets of the shown sub-cells and slices), not joined to the rows: a join
  // copies every row's state, which cost more than the decision itself.
  return `
    SELECT ${part}key, ok, slice_ok, uniqCombinedMergeState(12)(users) AS st, ${c.e} AS e, uniqExact(period, day) AS n${(c.fold ?? []).map((f) => `, ${f}`).join('')}
    FROM (
      SELECT *, ${c.key} AS key,
             (period, day, ${part}key) IN (SELECT period, day, ${part}key FROM (${decided}) WHERE ok) AS ok,
             (${by}) IN (SELECT ${by} FROM ${c.table} WHERE ${c.where} GROUP BY ${by} HAVING ${count} >= {k:UInt32}) AS slice_ok
      FROM ${c.table} WHERE ${c.where}
    )
    GROUP BY ${part}key, ok, slice_ok`
}

/**
 * foldSubCells for sparse tables (sparse in SubCells): one read, the slice's decision inputs
 * taken over the partition by window functions, which carry each row's uniqCombined state
 * along (cheap for the few users of a crash fingerprint, dear for large groups).
 */
function foldInOneRead(c: SubCells, k: number, minOrgs: number): string {
  const part = c.partition.map((p) => `${p}, `).join('')
  const by = `period, day, ${part}`.replace(/, $/, '')
  const { cell, merge, mergeIf } = counting(k, minOrgs)
  const orgs = orgsOfSlice(minOrgs, ' OVER slice')
  const fold = c.fold ?? []
  // One read of the table: each sub-cell once, with its small users_upto state for the decision
  // and its uniqCombined state for the figures.
  const cells = `SELECT period, day, ${part}${c.key} AS key, ${cell}, uniqCombinedMergeState(12)(users) AS st, ${c.e} AS e${fold.map((f) => `, ${f}`).join('')}
    FROM ${c.table} WHERE ${c.where} GROUP BY period, day, ${part}key`
  // The slice's decision inputs over the partition (window functions merge only the small
  // users_upto states; reading the sub-cells again and joining them back cost more).
  const decided = `
    SELECT ${part}key, st, e${fold.map((f) => `, ${alias(f)}`).join('')}, su >= {k:UInt32}${orgs.slice} AS slice_ok,
           su >= {k:UInt32}${orgs.slice} AND cu >= {k:UInt32} AND NOT (hn > 0 AND (hu < {k:UInt32}${orgs.hiddenShort}) AND key = victim) AS ok
    FROM (
      SELECT *, ${merge}(ut) OVER slice AS su, ${mergeIf}(ut, cu < {k:UInt32}) OVER slice AS hu${orgs.inputs},
             countIf(cu < {k:UInt32}) OVER slice AS hn, argMinIf(key, (cu, e, key), cu >= {k:UInt32}) OVER slice AS victim
      FROM (${cells})
      WINDOW slice AS (PARTITION BY ${by})
    )`
  // Then the large uniqCombined states are merged once, folded by decision; a folded measure
  // is aggregated again over its own column (sum(x) AS f -> sum(f) AS f).
  return `
    SELECT ${part}key, ok, slice_ok, uniqCombinedMergeState(12)(st) AS st, sum(e) AS e, count() AS n${fold.map((f) => `, ${refold(f)}`).join('')}
    FROM (${decided})
    GROUP BY ${part}key, ok, slice_ok`
}

/** The alias of a folded measure (`sum(failed) AS f` -> `f`). */
const alias = (measure: string) => /\bAS\s+(\w+)\s*$/.exec(measure)?.[1] ?? measure

/** The same aggregate over the measure's own column: `sum(failed) AS f` -> `sum(f) AS f`. */
const refold = (measure: string) => measure.replace(/\(([^()]*)\)(\s+AS\s+(\w+))\s*$/, (_all, _arg: string, as: string, name: string) => `(${name})${as}`)

/**
 * The columns every shown figure is made of, over rows of foldSubCells():
 * - users, events: of the shown cells only (the numbers of a row, a bucket, a value);
 * - shown, hidden: how many cells were shown and hidden (hidden = has data, not shown);
 * - slice_users, slice_events: of the shown slices (a name's total, the grand total);
 * - other_events, other_cells: the hidden sub-cells of shown slices, which always cover at
 *   least k users per slice; so a total is its shown rows plus other, exactly.
 */
export const FIGURES = `
  uniqCombinedMergeIf(12)(st, ok) AS users, sumIf(e, ok) AS events,
  sumIf(n, ok) AS shown, sumIf(n, NOT ok) AS hidden,
  uniqCombinedMergeIf(12)(st, slice_ok) AS slice_users, sumIf(e, slice_ok) AS slice_events, sumIf(n, slice_ok) AS slices_shown,
  sumIf(e, slice_ok AND NOT ok) AS other_events, sumIf(n, slice_ok AND NOT ok) AS other_cells`

/** The shown (period, day) slices of the event name {slice:String}, for tables without users (sessions, imports). */
export const shownSlices = (k: number, minOrgs = 0) => `(day, period) IN (
  SELECT day, period FROM agg_events_daily
  WHERE app_id = {app:String} AND name = {slice:String} AND day BETWEEN {from:Date} AND {to:Date}
  GROUP BY day, period HAVING ${counting(k, minOrgs).count} >= {k:UInt32})`
