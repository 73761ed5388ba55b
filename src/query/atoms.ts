// Atoms of a two-way table (matrix.ts, table.ts) and their release (release.ts): the SQL returns,
// per salt period, the exact figures of every atom; here each atom gets its noise and its noisy k
// decision, and cells, rows and totals are sums of released atoms (docs/reports.md "Noise").
import { num, str, type Row } from './db.ts'
import { passes, releaseCount, releasePeople, type Release } from './release.ts'

/**
 * The atoms over rows of `inner`, which has the columns period, d (the day as text), col (event
 * name), row (bucket, dimension value or key), ok (the sub-cell is shown, exactly), slice_ok
 * (its slice is), st (uniqCombined users), e (events) and the `counts` columns (more counts of
 * events, e.g. failures). One row per grouping set, marked by gd, gc, gr (1 = rolled up):
 * - (period, d, col, row): a sub-cell's events of one day, the atom of events;
 * - (period, col, row): a sub-cell's people over its shown days of the period, the atom of people;
 * - (period, row): a row's people over all names; (period, d, col) and (period, col): the slice's
 *   events and people; (period): all names' people.
 * People of several days of one period are the union of their hashes (a person counts once per
 * period, as docs/reports.md says); `days` names those days, part of the atom's identity.
 */
export function atomSql(inner: string, counts: readonly string[] = [], sliceIsCell = false): string {
  const more = counts.map((c) => `, sumIf(${c}, ok) AS n_${c}, sumIf(${c}, slice_ok) AS n_${c}_sl`).join('')
  // Where a cell is its slice (the events table: ok = slice_ok) the slice's people are the
  // cell's: merged once, not twice (the merges are most of this statement's cost).
  const slice = sliceIsCell
    ? 'days AS days_sl, u AS u_sl'
    : "arrayStringConcat(arraySort(groupUniqArrayIf(d, slice_ok)), ',') AS days_sl, uniqCombinedMergeIf(12)(st, slice_ok) AS u_sl"
  return `
  SELECT period, d, col, row, grouping(d) AS gd, grouping(col) AS gc, grouping(row) AS gr,
         arrayStringConcat(arraySort(groupUniqArrayIf(d, ok)), ',') AS days,
         uniqCombinedMergeIf(12)(st, ok) AS u, sumIf(e, ok) AS e_ok, countIf(ok) AS n_ok,
         ${slice}, sumIf(e, slice_ok) AS e_sl, countIf(slice_ok) AS n_sl, count() AS n${more}
  FROM (${inner})
  GROUP BY GROUPING SETS ((period, d, col, row), (period, col, row), (period, row), (period, d, col), (period, col), (period))`
}

/** A position of the released table: its released figures and how many atoms it shows and hides. */
export interface Released {
  users: number
  events: number
  counts: Record<string, number>
  shown: number
  hidden: number
}

export interface ReleasedTable {
  /** Inner cells (row, col), rows (all names), columns (whole slices) and the grand total. */
  cells: Map<string, Released>
  rows: Map<string, Released>
  cols: Map<string, Released>
  grand: Released
  /** Shown slices as `period\u001fname`: what tables without people (imports) follow. */
  slices: Set<string>
}

export interface AtomOptions {
  /**
   * Rows are time buckets of the slices themselves (the events table): a cell's atoms are its
   * slice's, with the slice's identity, so the same slice is one atom in every report.
   */
  time: boolean
  /** The event names asked for, part of the identity of the all-names atoms ('*' for all). */
  scope: string
  counts?: readonly string[]
}

const blank = (): Released => ({ users: 0, events: 0, counts: {}, shown: 0, hidden: 0 })
const at = (m: Map<string, Released>, id: string) => m.get(id) ?? (m.set(id, blank()), m.get(id)!)
const K = '\u001f'

/** Releases the atoms of atomSql: gates, noise and sums, one pass per kind of atom. */
export function releaseAtoms(rows: readonly Row[], rel: Release, o: AtomOptions): ReleasedTable {
  const out: ReleasedTable = { cells: new Map(), rows: new Map(), cols: new Map(), grand: blank(), slices: new Set() }
  const kind = (r: Row) => `${num(r.gd)}${num(r.gc)}${num(r.gr)}`
  const of = (k: string) => rows.filter((r) => kind(r) === k)
  const subKey = (row: string) => (o.time ? '*' : row)
  // Slices of a period (one name) over their shown days: the gate every atom in them needs.
  const slices = out.slices
  for (const r of of('101')) {
    const col = str(r.col)
    if (num(r.n_sl) > 0 && passes(rel, ['u', num(r.period), col, '*', str(r.days_sl)], num(r.u_sl))) slices.add(`${num(r.period)}${K}${col}`)
    if (slices.has(`${num(r.period)}${K}${col}`)) at(out.cols, col).users += releasePeople(rel, ['u', num(r.period), col, '*', str(r.days_sl)], num(r.u_sl))
  }
  // Sub-cells of a shown slice over their shown days: gated on their own people, no secondary
  // suppression with noise (cells.ts), since what they leave out is released as noisy atoms too.
  const subs = new Set<string>()
  const periodsOfRow = new Set<string>()
  for (const r of of('100')) {
    const [p, col, row] = [num(r.period), str(r.col), str(r.row)]
    const atom = ['u', p, col, subKey(row), str(r.days)]
    if (num(r.n_ok) === 0 || !slices.has(`${p}${K}${col}`) || !passes(rel, atom, num(r.u))) continue
    subs.add(`${p}${K}${col}${K}${row}`)
    periodsOfRow.add(`${p}${K}${row}`)
    at(out.cells, `${row}${K}${col}`).users += releasePeople(rel, atom, num(r.u))
  }
  // Events, one atom per (period, day, sub-cell); a cell with data but no shown atom is hidden.
  for (const r of of('000')) {
    const [p, d, col, row] = [num(r.period), str(r.d), str(r.col), str(r.row)]
    const shown = num(r.n_ok) > 0 && subs.has(`${p}${K}${col}${K}${row}`)
    const cell = at(out.cells, `${row}${K}${col}`)
    const line = at(out.rows, row)
    if (!shown) {
      cell.hidden++, line.hidden++
      continue
    }
    const events = releaseCount(rel, ['e', p, d, col, subKey(row)], num(r.e_ok))
    cell.shown++, line.shown++
    cell.events += events, line.events += events
    for (const c of o.counts ?? []) {
      const v = releaseCount(rel, ['n', c, p, d, col, subKey(row)], num(r[`n_${c}`]))
      cell.counts[c] = (cell.counts[c] ?? 0) + v
      line.counts[c] = (line.counts[c] ?? 0) + v
    }
  }
  // A row's people over all names: its own atom, released where one of its sub-cells is shown.
  for (const r of of('110')) {
    const [p, row] = [num(r.period), str(r.row)]
    if (periodsOfRow.has(`${p}${K}${row}`)) at(out.rows, row).users += releasePeople(rel, ['u', p, o.scope, subKey(row), str(r.days)], num(r.u))
  }
  releaseSlices(rows, rel, o, slices, out)
  return out
}

/** Whole slices (column and grand totals): events per (period, day, name), people per period. */
function releaseSlices(rows: readonly Row[], rel: Release, o: AtomOptions, slices: Set<string>, out: ReleasedTable) {
  const periods = new Set<number>()
  for (const r of rows.filter((x) => num(x.gd) === 0 && num(x.gc) === 0 && num(x.gr) === 1)) {
    const [p, d, col] = [num(r.period), str(r.d), str(r.col)]
    const c = at(out.cols, col)
    if (!(num(r.n_sl) > 0 && slices.has(`${p}${K}${col}`))) {
      c.hidden++, out.grand.hidden++
      continue
    }
    periods.add(p)
    const events = releaseCount(rel, ['e', p, d, col, '*'], num(r.e_sl))
    c.shown++, out.grand.shown++
    c.events += events, out.grand.events += events
    for (const m of o.counts ?? []) {
      const v = releaseCount(rel, ['n', m, p, d, col, '*'], num(r[`n_${m}_sl`]))
      c.counts[m] = (c.counts[m] ?? 0) + v
      out.grand.counts[m] = (out.grand.counts[m] ?? 0) + v
    }
  }
  for (const r of rows.filter((x) => num(x.gd) === 1 && num(x.gc) === 1 && num(x.gr) === 1)) {
    const p = num(r.period)
    if (periods.has(p)) out.grand.users += releasePeople(rel, ['u', p, o.scope, '*', str(r.days_sl)], num(r.u_sl))
  }
}
