// One-way tables (paths, reports, fingerprints, ratings, themes) released as atoms (release.ts):
// rows are sums of shown (period, day, name, key) atoms, the total the name's slice atoms (the
// same the events report shows), other the total less the shown rows. The noisy side of table.ts.
import { loadAtoms, type LoadedAtom } from './atoms.ts'
import { addTo, emptyFigure, releaseAtoms, type Figure, type Released } from './release.ts'
import { releaseOf, type ReportContext } from './reports/context.ts'

export interface OneWaySpec {
  /** The event name whose slices the table cuts. */
  name: string
  /** The sub-cell: its space (part of each atom's name) and SQL over the events table, from code only. */
  space: string
  key: string
  /** How the stored key is shown (values.ts mappedPath or mappedValue over the column named). */
  display?: (column: string) => string
  /** A column the key is taken from, one row per element (ARRAY JOIN), named `joined` in key. */
  arrayJoin?: string
  where?: string
  /** Further counts, each an SQL condition from code (clamped per person like events). */
  counts?: Readonly<Record<string, string>>
}

export interface ReleasedOneWay {
  /** Keys with a shown atom, and their released figures. Nothing else is listed. */
  rows: Map<string, Figure>
  total: Figure
  /** The total has data but no shown atom. */
  suppressed: boolean
  /** The released total less the released rows, when above 0 (no count of hidden cells). */
  other: { value: number } | null
}

export async function loadReleasedOneWay(ctx: ReportContext, spec: OneWaySpec): Promise<ReleasedOneWay> {
  const atoms = await loadAtoms(ctx.client, {
    app: ctx.app.id,
    from: ctx.range.from,
    to: ctx.range.to,
    names: [spec.name],
    key: { space: spec.space, sql: spec.key, ...(spec.arrayJoin ? { arrayJoin: spec.arrayJoin } : {}), ...(spec.display ? { display: spec.display } : {}) },
    ...(spec.where ? { where: spec.where } : {}),
    ...(spec.counts ? { counts: spec.counts } : {}),
    levels: ['cell', 'slice'],
  })
  const rel = releaseOf(ctx)
  const total = emptyFigure()
  for (const r of releaseAtoms(atoms.get('slice') ?? [], rel)) addTo(total, r)
  const rows = new Map<string, Figure>()
  let listed = 0
  for (const r of releaseAtoms(atoms.get('cell') ?? [], rel) as (Released & { atom: LoadedAtom })[]) {
    if (!r.shown) continue
    addTo(rows.get(r.atom.key) ?? (rows.set(r.atom.key, emptyFigure()), rows.get(r.atom.key)!), r)
    listed += r.events
  }
  const suppressed = total.shown === 0 && total.hidden > 0
  const rest = total.events - listed
  return { rows, total, suppressed, other: !suppressed && rest > 0 ? { value: rest } : null }
}
