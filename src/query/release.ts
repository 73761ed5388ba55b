// The release of report numbers (PRIVACY.md 18, docs/reports.md "Noise"): one grain, the atom
// (salt period x day x cell); each atom is gated and noised once, from the noise key and its
// identity, and every released figure (a day, a bucket, a range, a total) is a sum of shown atoms.
import { noiseFor, type Epsilon } from '../privacy/noise/discrete-laplace.ts'

/**
 * Events one person adds at most to one atom: the release query counts at most this many events
 * per user hash per (period, day, cell) (atoms.ts), so it is the sensitivity of an atom's events.
 */
export const EVENTS_PER_PERSON = 2
/** epsilon of an atom's people (sensitivity 1: one hash per person and salt period). */
export const EPSILON_PEOPLE: Epsilon = { num: 1, den: 2 }
/** epsilon of an atom's events and of each further count (sensitivity EVENTS_PER_PERSON). */
export const EPSILON_EVENTS: Epsilon = { num: 1, den: 2 }
/**
 * An atom is shown when it has k people (exactly) and its noisy people reach k + GATE_MARGIN,
 * with the same draw that is released. With k-1 fakes and one real person (k people) it passes
 * with P(Z >= 10) = e^-5 / (1 + e^-1/2), about 0.42 %: the delta of the gate. (6 gave 3.1 %,
 * which 30 day atoms of fakes around one person turn into 61 % odds of seeing her once.)
 */
export const GATE_MARGIN = 10

/** Who releases: the noise key (null: exact figures, REPORT_NOISE=off), the app and its k. */
export interface Release {
  readonly key: Buffer | null
  readonly app: string
  readonly k: number
  /** The app's min_orgs_per_cell (0: off): an atom's people must belong to this many organisations. */
  readonly minOrgs: number
}

/**
 * One atom's exact figures, as the release query returns them: its people (distinct user hashes
 * of one salt period), its events and further counts (each clamped per person, atoms.ts).
 * `cell` names the cell the same way in every report (atoms.ts cellOf), so one atom has one
 * draw wherever it is shown.
 */
export interface Atom {
  period: number
  day: string
  cell: string
  people: number
  /** Distinct organisations of its people (read only where min_orgs_per_cell is set). */
  orgs?: number
  events: number
  counts?: Readonly<Record<string, number>>
}

/** An atom released: shown or not; a hidden atom's figures are 0 and must be added nowhere. */
export interface Released {
  atom: Atom
  shown: boolean
  people: number
  events: number
  counts: Record<string, number>
}

const identity = (rel: Release, a: Atom, measure: string) => JSON.stringify([rel.app, a.period, a.day, a.cell, measure])

/**
 * Releases atoms: the gate (k exactly, and k + GATE_MARGIN after the people's noise) and the
 * noise of each count, the same on every ask. Without a key: shown at k, exact figures.
 */
export function releaseAtoms(atoms: readonly Atom[], rel: Release): Released[] {
  return atoms.map((a) => {
    const enough = a.people >= rel.k && (rel.minOrgs <= 0 || (a.orgs ?? 0) >= rel.minOrgs)
    if (!rel.key) {
      const shown = enough
      return { atom: a, shown, people: shown ? a.people : 0, events: shown ? a.events : 0, counts: shown ? { ...a.counts } : {} }
    }
    const key = rel.key
    const people = a.people + noiseFor(key, identity(rel, a, 'people'), 1, EPSILON_PEOPLE)
    const shown = enough && people >= rel.k + GATE_MARGIN
    if (!shown) return { atom: a, shown, people: 0, events: 0, counts: {} }
    const count = (measure: string, v: number) => Math.max(0, v + noiseFor(key, identity(rel, a, measure), EVENTS_PER_PERSON, EPSILON_EVENTS))
    const counts: Record<string, number> = {}
    for (const [m, v] of Object.entries(a.counts ?? {})) counts[m] = count(`count:${m}`, v)
    return { atom: a, shown, people, events: count('events', a.events), counts }
  })
}

/** A figure summed over released atoms: shown ones only; `shown`/`hidden` count atoms. */
export interface Figure {
  people: number
  events: number
  counts: Record<string, number>
  shown: number
  hidden: number
}

export const emptyFigure = (): Figure => ({ people: 0, events: 0, counts: {}, shown: 0, hidden: 0 })

/** Adds a released atom's people to a figure, if shown, without counting it as shown or hidden. */
export function addPeople(f: Figure, r: Released): Figure {
  if (r.shown) f.people += r.people
  return f
}

/** Adds one released atom to a figure: its numbers if shown, else only that something is hidden. */
export function addTo(f: Figure, r: Released, what: { people?: boolean; events?: boolean } = { people: true, events: true }): Figure {
  if (!r.shown) {
    f.hidden++
    return f
  }
  f.shown++
  if (what.people !== false) f.people += r.people
  if (what.events !== false) {
    f.events += r.events
    for (const [m, v] of Object.entries(r.counts)) f.counts[m] = (f.counts[m] ?? 0) + v
  }
  return f
}
