// The two-way tables behind every report that shows a time series or a breakdown of event
// names: rows (day, week or dimension value) by event name, with row, column and grand totals,
// all built from (salt period, day) cells decided in cells.ts. Every report that shows a
// per-name figure reads it from here, so two reports never hide different cells of one table.
import type { ClickHouseClient } from '@clickhouse/client'
import { select } from './db.ts'
import type { Dimension, Range } from './params.ts'
import { counting, foldSubCells } from './cells.ts'
import { atomSql, releaseAtoms, type Released, type ReleasedTable } from './atoms.ts'
import type { Release } from './release.ts'
import { mappedValue } from './values.ts'

export interface Cell {
  users: number
  events: number
  /** Atoms shown and hidden in this position (a hidden one has data but is not shown). */
  shown: number
  hidden: number
  /** Name and grand totals only: the released total less its released rows (no count of hidden cells: issue 26). */
  other: { events: number } | null
}

export interface Matrix {
  /** Rows and columns with at least one shown cell: nothing else is ever listed. */
  rows: string[]
  cols: string[]
  /** Row, column and grand totals and inner cells, by id (see the id helpers). */
  cells: Map<string, Cell>
  /** Shown slices as `period\u001fname` (atoms.ts). */
  slices: Set<string>
}

export const cellId = (row: string, col: string) => `c\u001f${row}\u001f${col}`
export const rowId = (row: string) => `r\u001f${row}`
export const colId = (col: string) => `k\u001f${col}`
export const GRAND = 'g'

// Slices are the cells: one name, one salt period, one day. An open plan's name fewer than k
// people sent is a token, shown as `:rare` (values.ts); a published one under its name. Decided exactly here (the small
// users_upto states; the rows look the decision up with IN, a join would copy every state) and
// noisily in atoms.ts. The bucket (day or Monday) is chosen by a typed parameter, not by text.
// Names are decided each on their own slices, so a report that reads only some names' series
// (sessions, imports, changes) reads only them.
const timeCells = (k: number, minOrgs: number, someNames: boolean) => {
  const where = `app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}${someNames ? ' AND name IN {names:Array(String)}' : ''}`
  return `
  SELECT period, toString(day) AS d, toString(if({week:Bool}, toMonday(day), day)) AS row, ${mappedValue('toString(name)')} AS col,
         (period, day, name) IN (SELECT period, day, name FROM agg_events_daily WHERE ${where} GROUP BY period, day, name HAVING ${counting(k, minOrgs).count} >= {k:UInt32}) AS ok,
         ok AS slice_ok, users AS st, events AS e
  FROM agg_events_daily WHERE ${where}`
}

// Sub-cells of a slice: one value of the dimension within one name, period and day.
// Names are decided each on their own slices, so leaving other names out changes nothing for
// those asked for; it spares reading them (a breakdown of one event, the crashes report).
const dimensionCells = (k: number, minOrgs: number, someNames: boolean) => `
  SELECT period, toString(day) AS d, toString(key) AS row, toString(name) AS col, ok, slice_ok, st, e
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

export async function loadMatrix(client: ClickHouseClient, q: MatrixQuery, rel: Release): Promise<Matrix> {
  const params = { app: q.app, k: q.k, from: q.range.from, to: q.range.to, week: q.range.week, dimension: q.by, names: q.names ?? [], secondary: rel.key === null }
  const time = q.by === 'time'
  const sql = time ? atomSql(timeCells(q.k, q.minOrgs, q.names !== undefined), [], true) : atomSql(dimensionCells(q.k, q.minOrgs, q.names !== undefined))
  const t = releaseAtoms(await select(client, sql, params), rel, { time, scope: q.names ? q.names.join(',') : '*' })
  return toMatrix(t, time)
}

/** The released table as cells by id; a total's `other` is what its rows leave out (post-processing). */
export function toMatrix(t: ReleasedTable, time: boolean): Matrix {
  const cells = new Map<string, Cell>()
  const rows = new Set<string>()
  const cols = new Set<string>()
  const plain = (r: Released): Cell => ({ users: r.users, events: r.events, shown: r.shown, hidden: r.hidden, other: null })
  const inCol = new Map<string, number>()
  for (const [id, r] of t.cells) {
    const [row, col] = id.split('\u001f') as [string, string]
    cells.set(cellId(row, col), plain(r))
    if (r.shown > 0) rows.add(row), cols.add(col), inCol.set(col, (inCol.get(col) ?? 0) + r.events)
  }
  for (const [row, r] of t.rows) cells.set(rowId(row), plain(r))
  const otherOfTotal = (r: Released, listed: number) => (time || r.shown === 0 || r.events - listed <= 0 ? null : { events: r.events - listed })
  for (const [col, r] of t.cols) cells.set(colId(col), { ...plain(r), other: otherOfTotal(r, inCol.get(col) ?? 0) })
  const listed = [...inCol.values()].reduce((a, b) => a + b, 0)
  cells.set(GRAND, { ...plain(t.grand), other: otherOfTotal(t.grand, listed) })
  return { rows: [...rows].sort(), cols: [...cols].sort(), cells, slices: t.slices }
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
