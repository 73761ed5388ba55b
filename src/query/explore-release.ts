// Explore's figures with a report noise key (docs/reports.md "Noise", "Explore"): the atoms of
// atoms.ts (salt period x day x cell), gated and noised by release.ts, summed per bucket and
// value. Without a filter its atoms are the events and breakdown reports' own (same names, same
// draws); a filter is a variant of its own, named with its values, so no draw serves two answers.
import { loadAtoms, type LoadedAtom } from './atoms.ts'
import { addTo, emptyFigure, releaseAtoms, type Figure, type Released } from './release.ts'
import { exploreParams } from './explore-sql.ts'
import type { ExploreQuery } from './explore-params.ts'
import type { Range } from './params.ts'
import { releaseOf, type ReportContext } from './reports/context.ts'
import type { Row } from './db.ts'

const mondayOf = (day: string) => {
  const t = Date.parse(`${day}T00:00:00Z`)
  return new Date(t - ((new Date(t).getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10)
}

export interface ReleasedSide {
  cells: Map<string, Row>
  values: string[]
}

/**
 * The range (side 0) and the previous period (side 1), as rows shaped like explore-sql.ts's
 * (users, events, shown, hidden; the slice_* of a total are its own sums: there is no other).
 */
export async function loadReleasedExplore(ctx: ReportContext, q: ExploreQuery, prev: Range, id: (g: number, bucket: string, value: string) => string): Promise<[ReleasedSide, ReleasedSide]> {
  const filter = q.filters.map((f, i) => `has({fv${i}:Array(String)}, ${f.field.sql})`).join(' AND ')
  const rel = releaseOf(ctx)
  const atoms = await loadAtoms(ctx.client, {
    app: ctx.app.id,
    from: prev.from,
    to: ctx.range.to,
    names: [q.event],
    ...(q.by ? { key: { space: q.by.aggregated ?? `explore:${q.by.name}`, sql: q.by.sql } } : {}),
    ...(filter ? { where: filter, variant: JSON.stringify(q.filters.map((f) => [f.field.name, f.values])) } : {}),
    levels: q.by ? ['cell', 'slice'] : ['slice'],
    params: exploreParams(q),
    // Closed-list dimensions are columns of agg_people_daily (sql/0090): the same atoms from
    // person-day rows. A prop (breakdown or filter) is in events only.
    source: [...(q.by ? [q.by] : []), ...q.filters.map((f) => f.field)].every((f) => f.kind === 'closed') ? 'people' : 'events',
    orgs: rel.minOrgs > 0,
  })
  const sides: [Map<string, Figure>, Map<string, Figure>] = [new Map(), new Map()]
  const values: [Set<string>, Set<string>] = [new Set(), new Set()]
  const add = (side: number, key: string, r: Released) => {
    const m = sides[side]!
    addTo(m.get(key) ?? (m.set(key, emptyFigure()), m.get(key)!), r)
  }
  const sideOf = (a: LoadedAtom) => (a.day < ctx.range.from ? 1 : 0)
  const bucketOf = (a: LoadedAtom) => (ctx.range.week ? mondayOf(a.day) : a.day)
  for (const r of releaseAtoms(atoms.get('slice') ?? [], rel) as (Released & { atom: LoadedAtom })[]) {
    add(sideOf(r.atom), id(3, '', ''), r)
    add(sideOf(r.atom), id(1, bucketOf(r.atom), ''), r)
  }
  for (const r of releaseAtoms(atoms.get('cell') ?? [], rel) as (Released & { atom: LoadedAtom })[]) {
    add(sideOf(r.atom), id(2, '', r.atom.key), r)
    add(sideOf(r.atom), id(0, bucketOf(r.atom), r.atom.key), r)
    if (r.shown) values[sideOf(r.atom)]!.add(r.atom.key)
  }
  const rows = (m: Map<string, Figure>) =>
    new Map([...m].map(([key, f]) => [key, { users: f.people, events: f.events, shown: f.shown, hidden: f.hidden, slice_users: f.people, slice_events: f.events, slices_shown: f.shown, other_events: 0, other_cells: 0 } as Row]))
  return [
    { cells: rows(sides[0]), values: [...values[0]] },
    { cells: rows(sides[1]), values: [...values[1]] },
  ]
}
