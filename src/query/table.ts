// One-way tables (paths, reports, ratings, crash fingerprints): the sub-cells of one event
// name's slices (cells.ts), released as atoms (atoms.ts) and summed over the range. Rows are
// their shown sub-cells; the total is the name's slices, the same atoms the events report shows.
import type { ClickHouseClient } from '@clickhouse/client'
import { FIGURES, foldSubCells, type SubCells } from './cells.ts'
import { select } from './db.ts'
import { atomSql, releaseAtoms } from './atoms.ts'
import { hide } from './meta.ts'
import type { Release } from './release.ts'

/**
 * The exact measures of one table by key and in total (averages and percentiles, which have no
 * noise of their own: release.ts AVERAGES_MIN_K). `measures(cond, suffix)` aggregates the folded
 * measures over the rows where `cond` holds, once for shown sub-cells, once for shown slices (`_all`).
 */
export function oneWaySql(c: SubCells, k: number, minOrgs: number, measures: (cond: string, suffix: string) => readonly string[]): string {
  return `SELECT key, grouping(key) AS g, ${FIGURES}, ${[...measures('ok', ''), ...measures('slice_ok', '_all')].join(', ')}
    FROM (${foldSubCells(c, k, minOrgs)}) GROUP BY GROUPING SETS ((key), ())`
}

export interface OneWaySpec extends SubCells {
  /** The event name of the table's slices: the identity of its totals, shared with the events report. */
  name: string
  /** The app's min_orgs_per_cell (0: off, cells.ts). */
  minOrgs: number
  /** Aliases of folded counts (`sum(failed) AS f` -> 'f') released as atoms beside the events. */
  counts?: readonly string[]
}

export interface OneWayRow {
  users: number
  events: number
  counts: Record<string, number>
}

export interface OneWay {
  /** Keys with at least one shown sub-cell, and their released numbers. Nothing else is listed. */
  cells: Map<string, OneWayRow>
  /** The name's released slices: data, shown or not (null when there is no data at all). */
  total: OneWayRow | null
  /** The total is suppressed: data, but no shown slice. */
  suppressed: boolean
  /** The released total less its released rows, when positive (no count of hidden cells: issue 26). */
  other: { value: number } | null
}

export async function loadOneWay(client: ClickHouseClient, spec: OneWaySpec, rel: Release, params: Record<string, unknown>): Promise<OneWay> {
  const folded = (spec.counts ?? []).map((c) => `, ${c}`).join('')
  const inner = `SELECT period, toString(day) AS d, toString(key) AS row, {name:String} AS col, ok, slice_ok, st, e${folded} FROM (${foldSubCells(spec, rel.k, spec.minOrgs)})`
  const rows = await select(client, atomSql(inner, spec.counts), { ...params, name: spec.name, k: rel.k, secondary: rel.key === null })
  const t = releaseAtoms(rows, rel, { time: false, scope: spec.name, counts: spec.counts })
  const cells = new Map<string, OneWayRow>()
  let listed = 0
  for (const [id, c] of t.cells) {
    if (c.shown === 0) continue
    cells.set(id.slice(0, id.lastIndexOf('\u001f')), { users: c.users, events: c.events, counts: c.counts })
    listed += c.events
  }
  const whole = t.cols.get(spec.name)
  const suppressed = whole !== undefined && whole.shown === 0 && whole.hidden > 0
  const total = whole ? { users: whole.users, events: whole.events, counts: whole.counts } : null
  const other = total && !suppressed && total.events - listed > 0 ? { value: total.events - listed } : null
  return { cells, total, suppressed, other }
}

/** A total as the API shows it: its measures, or nulls and suppressed. */
export function totalOf<T extends Record<string, number | null>>(t: OneWay, measures: (r: OneWayRow) => T): T & { suppressed: boolean } {
  return hide(t.suppressed, measures(t.total ?? { users: 0, events: 0, counts: {} }))
}
