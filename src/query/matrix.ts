// The two-way tables behind every report that shows a time series or a breakdown of event
// names: rows (day, week or dimension value) by event name, with row totals, column totals and
// a grand total, suppressed together (suppress.ts). Every report that shows a per-name figure
// takes its suppression from here, so two reports never hide different cells of one table.
import type { ClickHouseClient } from '@clickhouse/client'
import { num, select, str } from './db.ts'
import type { Dimension, Range } from './params.ts'
import { suppressCells, type Partition } from './suppress.ts'
import { decideNameTotals } from './names.ts'

export interface Cell {
  users: number
  events: number
  /** For totals: users of the parts under k, merged. */
  hidden: number
}

export interface Matrix {
  rows: string[]
  cols: string[]
  /** Row, column and grand totals and inner cells, by id (see the id helpers). */
  cells: Map<string, Cell>
  suppressed: Set<string>
}

export const cellId = (row: string, col: string) => `c\u001f${row}\u001f${col}`
export const rowId = (row: string) => `r\u001f${row}`
export const colId = (col: string) => `k\u001f${col}`
export const GRAND = 'g'

// Inner: one state per cell over the range. Outer: cells, row, column and grand totals, and for
// each total the users of its parts under k merged (hidden), which spares needless secondary
// suppression when many small cells together already cover k people.
const matrixSql = (inner: string) => `
  SELECT row, col, grouping(row, col) AS g, uniqCombinedMerge(12)(st) AS users, sum(e) AS events,
         uniqCombinedMergeIf(12)(st, cu < {k:UInt32}) AS hidden
  FROM (${inner})
  GROUP BY GROUPING SETS ((row, col), (row), (col), ())`

// For the grand total's two partitions (by row and by column): users of the row totals, or the
// column totals, under k, merged.
const marginHiddenSql = (inner: string, by: 'row' | 'col') => `
  SELECT uniqCombinedMergeIf(12)(st2, cu2 < {k:UInt32}) AS hidden
  FROM (SELECT ${by}, uniqCombinedMergeState(12)(st) AS st2, uniqCombinedMerge(12)(st) AS cu2 FROM (${inner}) GROUP BY ${by})`

const INNER = {
  // One row per bucket: the bucket expression is chosen by a typed parameter, not by text.
  time: `
    SELECT toString(if({week:Bool}, toMonday(day), day)) AS row, toString(name) AS col,
           uniqCombinedMergeState(12)(users) AS st, uniqCombinedMerge(12)(users) AS cu, sum(events) AS e
    FROM agg_events_daily
    WHERE app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}
    GROUP BY row, col`,
  dimension: `
    SELECT toString(value) AS row, toString(name) AS col,
           uniqCombinedMergeState(12)(users) AS st, uniqCombinedMerge(12)(users) AS cu, sum(events) AS e
    FROM agg_breakdowns_daily
    WHERE app_id = {app:String} AND dimension = {dimension:String} AND day BETWEEN {from:Date} AND {to:Date}
    GROUP BY row, col`,
} as const

export interface MatrixQuery {
  app: string
  k: number
  range: Range
  /** Rows are time buckets, or the values of a breakdown dimension. */
  by: 'time' | Dimension
}

export async function loadMatrix(client: ClickHouseClient, q: MatrixQuery): Promise<Matrix> {
  const params = { app: q.app, k: q.k, from: q.range.from, to: q.range.to, week: q.range.week, dimension: q.by }
  const inner = q.by === 'time' ? INNER.time : INNER.dimension
  const [result, [byRow], [byCol]] = await Promise.all([
    select(client, matrixSql(inner), params),
    select(client, marginHiddenSql(inner, 'row'), params),
    // Columns are event names in both tables, and every event is in each dimension once, so
    // the names under k are the same: the smaller time table answers for both.
    select(client, marginHiddenSql(INNER.time, 'col'), params),
  ])
  const cells = new Map<string, Cell>()
  const rows = new Set<string>()
  const cols = new Set<string>()
  for (const r of result) {
    const cell = { users: num(r.users), events: num(r.events), hidden: num(r.hidden) }
    // grouping(row, col): bit 1 = row rolled up, bit 0 = col rolled up.
    const g = num(r.g)
    const row = str(r.row)
    const col = str(r.col)
    if (g === 0) cells.set(cellId(row, col), cell), rows.add(row), cols.add(col)
    else if (g === 1) cells.set(rowId(row), cell)
    else if (g === 2) cells.set(colId(col), cell)
    else cells.set(GRAND, cell)
  }
  const m = { rows: [...rows].sort(), cols: [...cols].sort(), cells, suppressed: new Set<string>() }
  // Column totals are the per-name totals of the range, shown by several reports: decide them
  // on their own first (they depend on neither interval nor dimension), then the inner cells.
  const names = nameTotalsSuppression(m, q.k, num(byCol?.hidden))
  m.suppressed = suppressCells(usersOf(cells), partitionsOf(m, num(byRow?.hidden), num(byCol?.hidden)), q.k, names)
  return m
}

function usersOf(cells: Map<string, Cell>): Map<string, number> {
  return new Map([...cells].map(([id, c]) => [id, c.users]))
}

function nameTotalsSuppression(m: Omit<Matrix, 'suppressed'>, k: number, hiddenUsers: number): Set<string> {
  const zero = { users: 0, events: 0, hidden: 0 }
  const names = new Map(m.cols.map((col) => [col, m.cells.get(colId(col)) ?? zero]))
  const decided = decideNameTotals(m.cells.get(GRAND) ?? zero, names, k, hiddenUsers)
  const out = new Set<string>()
  if (decided.all.suppressed) out.add(GRAND)
  for (const [name, t] of decided.byName) if (t.suppressed) out.add(colId(name))
  return out
}

function partitionsOf(m: Omit<Matrix, 'suppressed'>, rowsHidden: number, colsHidden: number): Partition[] {
  const out: Partition[] = [
    { total: GRAND, parts: m.cols.map(colId), hiddenUsers: colsHidden },
    { total: GRAND, parts: m.rows.map(rowId), hiddenUsers: rowsHidden },
  ]
  const hidden = (id: string) => m.cells.get(id)?.hidden ?? 0
  for (const row of m.rows) out.push({ total: rowId(row), parts: m.cols.map((col) => cellId(row, col)), hiddenUsers: hidden(rowId(row)) })
  for (const col of m.cols) out.push({ total: colId(col), parts: m.rows.map((row) => cellId(row, col)), hiddenUsers: hidden(colId(col)) })
  return out
}

/** A cell as the API shows it: numbers, or null and suppressed: true. Absent cells are zeros. */
export function show(m: Matrix, id: string): { users: number | null; events: number | null; suppressed: boolean } {
  if (m.suppressed.has(id)) return { users: null, events: null, suppressed: true }
  const c = m.cells.get(id)
  return { users: c?.users ?? 0, events: c?.events ?? 0, suppressed: false }
}

/** What the suppressed parts of a shown total add up to; null when nothing is hidden. */
export function otherOf(m: Matrix, total: string, parts: readonly string[]): { events: number; cells: number } | null {
  if (m.suppressed.has(total)) return null
  const hidden = parts.filter((id) => m.suppressed.has(id) && m.cells.has(id))
  if (hidden.length === 0) return null
  return { events: hidden.reduce((s, id) => s + m.cells.get(id)!.events, 0), cells: hidden.length }
}
