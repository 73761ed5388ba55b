// The two-way tables behind every report that shows a time series or a breakdown of event
// names: rows (day, week or dimension value) by event name, with row, column and grand totals,
// all built from (salt period, day) cells decided in cells.ts. Every report that shows a
// per-name figure reads it from here, so two reports never hide different cells of one table.
import type { ClickHouseClient } from '@clickhouse/client'
import { num, select, str } from './db.ts'
import type { Dimension, Range } from './params.ts'
import { counting, FIGURES, foldSubCells } from './cells.ts'
import { mappedValue } from './values.ts'

export interface Cell {
  users: number
  events: number
  /** Cells shown and hidden in this position (a hidden one has data but is not shown). */
  shown: number
  hidden: number
  /**
   * Totals only: the events of hidden sub-cells of shown slices, covering k users each. How many
   * cells they are is not returned: a count of hidden cells tells that values under k exist
   * (issue 26, "Existence").
   */
  other: { events: number } | null
}

export interface Matrix {
  /** Rows and columns with at least one shown cell: nothing else is ever listed. */
  rows: string[]
  cols: string[]
  /** Row, column and grand totals and inner cells, by id (see the id helpers). */
  cells: Map<string, Cell>
}

export const cellId = (row: string, col: string) => `c\u001f${row}\u001f${col}`
export const rowId = (row: string) => `r\u001f${row}`
export const colId = (col: string) => `k\u001f${col}`
export const GRAND = 'g'

const matrixSql = (by: 'time' | Dimension, k: number, minOrgs: number, someNames: boolean) =>
  by === 'time'
    ? timeSql(k, minOrgs, someNames)
    : `
  SELECT row, col, grouping(row, col) AS g, ${FIGURES}
  FROM (${dimensionCells(k, minOrgs, someNames)})
  GROUP BY GROUPING SETS ((row, col), (row), (col), ())`

// Slices are the cells: one name, one salt period, one day. An open plan's name fewer than k
// people sent is a token, shown as `:rare` (values.ts); a published one under its name. The bucket (day or Monday) is
// chosen by a typed parameter, not by text. Names are decided each on their own slices, so a
// report that reads only some names' series (sessions, imports, changes) reads only them.
// The decision reads only the small users_upto states; the table's rows look it up (IN the set
// of shown slices: a join would copy every row's state) and their uniqCombined states are
// merged straight into the four groupings (merging them first into a state per slice and per
// bucket cost a third more). A slice is whole or hidden, so the
// totals of names and of everything are their shown slices (slice_* = the shown figures).
const timeSql = (k: number, minOrgs: number, someNames: boolean) => {
  const where = `app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}${someNames ? ' AND name IN {names:Array(String)}' : ''}`
  return `
  SELECT row, col, grouping(row, col) AS g,
         uniqCombinedMergeIf(12)(st, ok) AS users, sumIf(e, ok) AS events,
         uniqExactIf(slice, ok) AS shown, uniqExactIf(slice, NOT ok) AS hidden,
         users AS slice_users, events AS slice_events, shown AS slices_shown, 0 AS other_events, 0 AS other_cells
  FROM (
    SELECT toString(if({week:Bool}, toMonday(day), day)) AS row, ${mappedValue('toString(name)')} AS col, (period, day, name) AS slice,
           slice IN (SELECT period, day, name FROM agg_events_daily WHERE ${where} GROUP BY period, day, name HAVING ${counting(k, minOrgs).count} >= {k:UInt32}) AS ok,
           users AS st, events AS e
    FROM agg_events_daily WHERE ${where}
  )
  GROUP BY GROUPING SETS ((row, col), (row), (col), ())`
}

// Sub-cells of a slice: one value of the dimension within one name, period and day.
// Names are decided each on their own slices, so leaving other names out changes nothing for
// those asked for; it spares reading them (a breakdown of one event, the crashes report).
const dimensionCells = (k: number, minOrgs: number, someNames: boolean) => `
  SELECT toString(key) AS row, toString(name) AS col, ok, slice_ok, st, e, n
  FROM (${foldSubCells(
    {
      table: 'agg_breakdowns_daily',
      where: `app_id = {app:String} AND dimension = {dimension:String} AND day BETWEEN {from:Date} AND {to:Date}${someNames ? ' AND name IN {names:Array(String)}' : ''}`,
      partition: ['name'],
      key: 'value',
      e: 'sum(events)',
    },
    k,
    minOrgs,
  )})`

export interface MatrixQuery {
  app: string
  k: number
  /** The app's min_orgs_per_cell (0: off): a cell needs people of that many organisations (cells.ts). */
  minOrgs: number
  range: Range
  /** Rows are time buckets, or the values of a breakdown dimension. */
  by: 'time' | Dimension
  /**
   * Just these event names: their cells and name totals are the same as in the whole table; row
   * and grand totals then cover only them (a report that reads names' series alone).
   */
  names?: readonly string[]
}

export async function loadMatrix(client: ClickHouseClient, q: MatrixQuery): Promise<Matrix> {
  const params = { app: q.app, k: q.k, from: q.range.from, to: q.range.to, week: q.range.week, dimension: q.by, names: q.names ?? [] }
  const result = await select(client, matrixSql(q.by, q.k, q.minOrgs, q.names !== undefined), params)
  const cells = new Map<string, Cell>()
  const rows = new Set<string>()
  const cols = new Set<string>()
  for (const r of result) {
    // grouping(row, col): bit 1 = row rolled up, bit 0 = col rolled up.
    const g = num(r.g)
    const row = str(r.row)
    const col = str(r.col)
    // A name's total and the grand total are their shown slices, whole; rows and inner cells
    // are their shown sub-cells (for the time table the two are the same).
    const whole = g >= 2
    const other = whole && num(r.other_cells) > 0 ? { events: num(r.other_events) } : null
    const cell: Cell = whole
      ? { users: num(r.slice_users), events: num(r.slice_events), shown: num(r.slices_shown), hidden: num(r.hidden), other }
      : { users: num(r.users), events: num(r.events), shown: num(r.shown), hidden: num(r.hidden), other: null }
    if (g === 0) {
      cells.set(cellId(row, col), cell)
      if (cell.shown > 0) rows.add(row), cols.add(col)
    } else if (g === 1) cells.set(rowId(row), cell)
    else if (g === 2) cells.set(colId(col), cell)
    else cells.set(GRAND, cell)
  }
  return { rows: [...rows].sort(), cols: [...cols].sort(), cells }
}

/**
 * A cell as the API shows it: the numbers of its shown parts, or null and suppressed: true when
 * it has data but nothing of it may be shown. Absent cells are true zeros.
 */
export function show(m: Matrix, id: string): { users: number | null; events: number | null; suppressed: boolean } {
  const c = m.cells.get(id)
  if (c && c.shown === 0 && c.hidden > 0) return { users: null, events: null, suppressed: true }
  return { users: c?.users ?? 0, events: c?.events ?? 0, suppressed: false }
}

/** What a shown total holds beyond its listed rows; null when nothing is hidden. */
export function otherOf(m: Matrix, total: string): { events: number } | null {
  const c = m.cells.get(total)
  return c && c.shown > 0 ? c.other : null
}
