// The two-way table of matrix.ts released as atoms (release.ts, atoms.ts): every inner cell, row,
// column and grand total is a sum of shown atoms of one grain (period x day x cell), so a total
// is its shown days or rows and nothing of a hidden atom is in any figure.
import type { ClickHouseClient } from '@clickhouse/client'
import { loadAtoms, type Level, type LoadedAtom } from './atoms.ts'
import { addPeople, addTo, emptyFigure, releaseAtoms, type Figure, type Release, type Released } from './release.ts'
import { cellId, colId, GRAND, loadMatrix, rowId, type Cell, type Matrix, type MatrixQuery } from './matrix.ts'
import { minOrgsOf, releaseOf, type ReportContext } from './reports/context.ts'
import type { Dimension } from './params.ts'

/** The breakdown dimensions as columns of the events table (as sql/0030's view writes them). */
export const DIMENSION_SQL: Record<Dimension, string> = {
  country: 'country',
  os: 'os',
  browser: 'browser',
  device_type: 'device_type',
  lang: 'lang',
  screen: "if(screen_w = 0, '', concat(toString(screen_w), 'x', toString(screen_h)))",
  app_version: 'app_version',
}

/** The Monday of a day (both as YYYY-MM-DD): the week bucket. */
const mondayOf = (day: string) => {
  const t = Date.parse(`${day}T00:00:00Z`)
  return new Date(t - ((new Date(t).getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10)
}

/**
 * Loads and releases the table. by = 'time': rows are day or week buckets, columns names; the
 * cells are slice atoms, the rows' people the all-names atoms. By a dimension: rows are its
 * values; cells are (name, value) atoms, the rows' people (value, all names) atoms, and the
 * columns and grand total the same slice atoms as the events report, so both agree.
 */
export async function loadReleasedMatrix(client: ClickHouseClient, q: MatrixQuery, rel: Release): Promise<Matrix> {
  const time = q.by === 'time'
  const levels: Level[] = time ? ['slice', 'all'] : ['cell', 'slice', 'key', 'all']
  const atoms = await loadAtoms(client, {
    app: q.app,
    from: q.range.from,
    to: q.range.to,
    ...(q.names ? { names: q.names } : {}),
    ...(time ? {} : { key: { space: q.by, sql: DIMENSION_SQL[q.by as Dimension] } }),
    levels,
  })
  const released = (l: Level) => releaseAtoms(atoms.get(l) ?? [], rel) as (Released & { atom: LoadedAtom })[]
  const bucket = (a: LoadedAtom) => (q.range.week ? mondayOf(a.day) : a.day)
  const figures = new Map<string, Figure>()
  const at = (id: string) => figures.get(id) ?? (figures.set(id, emptyFigure()), figures.get(id)!)
  const rows = new Set<string>()
  const cols = new Set<string>()
  for (const r of released('slice')) {
    const { name } = r.atom
    addTo(at(colId(name)), r)
    addTo(at(GRAND), r, { people: false })
    if (time) {
      addTo(at(cellId(bucket(r.atom), name)), r)
      addTo(at(rowId(bucket(r.atom))), r, { people: false })
      if (r.shown) rows.add(bucket(r.atom)), cols.add(name)
    }
  }
  // People of all names and of a value over all names are atoms of their own (a person counts
  // once in them, not once per name); whether a row is shown is decided by its events' atoms.
  for (const r of released('all')) {
    addPeople(at(GRAND), r)
    if (time) addPeople(at(rowId(bucket(r.atom))), r)
  }
  if (!time) {
    for (const r of released('cell')) {
      addTo(at(cellId(r.atom.key, r.atom.name)), r)
      addTo(at(rowId(r.atom.key)), r, { people: false })
      if (r.shown) rows.add(r.atom.key), cols.add(r.atom.name)
    }
    for (const r of released('key')) addPeople(at(rowId(r.atom.key)), r)
  }
  return { rows: [...rows].sort(), cols: [...cols].sort(), cells: toCells(figures, time) }
}

/**
 * The figures as matrix cells. A total's `other` is what its shown total holds beyond its shown
 * rows (post-processing of released numbers; null when not above 0): no count of cells.
 */
function toCells(figures: Map<string, Figure>, time: boolean): Map<string, Cell> {
  const cells = new Map<string, Cell>()
  const listed = new Map<string, number>()
  for (const [id, f] of figures) {
    cells.set(id, { users: f.people, events: f.events, shown: f.shown, hidden: f.hidden, other: null })
    if (id.startsWith('c\u001f') && f.shown > 0) {
      const col = id.slice(id.lastIndexOf('\u001f') + 1)
      listed.set(col, (listed.get(col) ?? 0) + f.events)
      listed.set(GRAND, (listed.get(GRAND) ?? 0) + f.events)
    }
  }
  if (time) return cells
  for (const [id, c] of cells) {
    const total = id === GRAND ? GRAND : id.startsWith('k\u001f') ? id.slice(2) : null
    if (total === null || c.shown === 0) continue
    const rest = c.events - (listed.get(total) ?? 0)
    c.other = rest > 0 ? { events: rest } : null
  }
  return cells
}

/** The table a report reads: released atoms with a noise key, else the exact cells (matrix.ts). */
export function loadTable(ctx: ReportContext, q: Omit<MatrixQuery, 'app' | 'k' | 'minOrgs' | 'range'>): Promise<Matrix> {
  const full: MatrixQuery = { app: ctx.app.id, k: ctx.app.k_anonymity, minOrgs: minOrgsOf(ctx), range: ctx.range, ...q }
  return ctx.noiseKey ? loadReleasedMatrix(ctx.client, full, releaseOf(ctx)) : loadMatrix(ctx.client, full)
}
