// The release layer of the reports API (PRIVACY.md 18, docs/reports.md "Noise"): every count is
// released with discrete Laplace noise drawn from the noise key and the identity of its atom, so
// the same atom has the same noise in every answer, and buckets and ranges are sums of atoms.
import { noiseFor, type Epsilon } from '../privacy/noise/discrete-laplace.ts'

/** epsilon of one atom's count of people (sensitivity 1: one hash per person and salt period). */
export const EPSILON_USERS: Epsilon = { num: 1, den: 2 }
/** epsilon of one atom's count of events (sensitivity EVENTS_PER_PERSON). */
export const EPSILON_EVENTS: Epsilon = { num: 1, den: 2 }
/**
 * What one person is taken to add at most to one atom's count of events (the sensitivity). The
 * pipeline does not clamp it yet: a person with more events in one (period, day, cell) has a
 * proportionally larger epsilon there (docs/reports.md "What is not covered yet").
 */
export const EVENTS_PER_PERSON = 4
/**
 * An atom is shown when it has k people (exactly, in SQL: cells.ts) and its noisy count of
 * people reaches k + GATE_MARGIN. With k-1 fakes and one real person the noisy count passes
 * with probability P(Z >= 6) = e^-3 / (1 + e^-1/2), about 3 %: the delta of the gate.
 */
export const GATE_MARGIN = 6
/**
 * Averages and percentiles are exact aggregates of unclamped values, so no noise scale can be
 * stated for them: they are withheld unless the released people of their row reach this many
 * times k (docs/reports.md "Averages and percentiles").
 */
export const AVERAGES_MIN_K = 10

export interface Release {
  /** The noise key; null when REPORT_NOISE=off (tests and development only): exact figures. */
  readonly key: Buffer | null
  readonly app: string
  readonly k: number
  /** Noise drawn so far for atoms of people, by identity (one answer's memo; a draw is a pure function of key and identity). */
  readonly drawn?: Map<string, number>
}

/** The identity of an atom: the app and its parts, so no two atoms share a noise draw. */
const idOf = (rel: Release, parts: readonly (string | number)[]) => JSON.stringify([rel.app, ...parts])

/** A count released: the count plus its atom's noise, never below 0 (post-processing). */
export function releaseCount(rel: Release, atom: readonly (string | number)[], value: number, sensitivity = EVENTS_PER_PERSON, epsilon = EPSILON_EVENTS): number {
  if (!rel.key) return value
  return Math.max(0, value + noiseFor(rel.key, idOf(rel, atom), sensitivity, epsilon))
}

/**
 * An atom's people, noisy (the same draw the gate uses), not clamped. The draws of one answer are
 * kept in `rel.drawn`, when given, so the gate and the released count draw once.
 */
function noisyPeople(rel: Release, atom: readonly (string | number)[], users: number): number {
  if (!rel.key) return users
  const id = idOf(rel, atom)
  const z = rel.drawn?.get(id) ?? noiseFor(rel.key, id, 1, EPSILON_USERS)
  rel.drawn?.set(id, z)
  return users + z
}

/** An atom's people released, never below 0. */
export function releasePeople(rel: Release, atom: readonly (string | number)[], users: number): number {
  return Math.max(0, noisyPeople(rel, atom, users))
}

/**
 * The noisy k decision of an atom of people: k exactly, and k + GATE_MARGIN after its noise.
 * The same draw as releasePeople, so a shown count is never below k + GATE_MARGIN and the gate
 * costs no epsilon of its own beyond the delta of the exact part.
 */
export function passes(rel: Release, atom: readonly (string | number)[], users: number): boolean {
  if (!rel.key) return users >= rel.k
  return users >= rel.k && noisyPeople(rel, atom, users) >= rel.k + GATE_MARGIN
}

/** Whether averages and percentiles of a row with these released people may be shown. */
export const averagesShown = (rel: Release, people: number | null): boolean => !rel.key || (people ?? 0) >= AVERAGES_MIN_K * rel.k
