// The one runner of the pipeline's step lists (STYLE.md 12, after Plausible's `pipeline()`
// reducer): a list of named steps, each `(value, ctx) -> value | drop`, run in order; the first
// drop ends the run. It counts every drop by step and reason and times each step on a sample.
import type { Metrics } from '../observability/metrics.ts'
import type { Drop } from './types.ts'

/**
 * A step: the value (a request, an event) and the run's context in, the next value or a drop
 * out. A step that reads nothing of the context declares only the value. The value's type may
 * narrow on the way (hash_ids turns a raw event into a hashed one), so the list is built with
 * `add`, and the compiler checks that each step takes what the one before gives.
 */
export type Step<I, O, C, R extends string> = (value: I, ctx: C) => O | Drop<R>

/** A step as the runner holds it: the list's `add` has checked its types against its neighbours. */
type ListedStep<C> = (value: unknown, ctx: C) => unknown

/** An ordered list of named steps from `I` to `O`; `add` gives a longer list, never changes this one. */
export interface StepList<I, O, C, R extends string> {
  /** The steps' function names, in order (the factories return named functions). */
  readonly names: readonly string[]
  readonly steps: readonly ListedStep<C>[]
  add<N>(step: Step<O, N, C, R>): StepList<I, N, C, R>
  /** Types only: what the list takes, gives and drops with. */
  readonly types?: { in: I; out: O; reason: R }
}

function listOf<I, O, C, R extends string>(names: readonly string[], steps: readonly ListedStep<C>[]): StepList<I, O, C, R> {
  return {
    names,
    steps,
    add<N>(step: Step<O, N, C, R>): StepList<I, N, C, R> {
      if (!step.name) throw new Error(`step ${names.length + 1} has no name: return a named function from its factory`)
      // Held as one array of steps so the runner is a plain loop; the signature of `add` is
      // what checks that this step takes what the one before gives.
      return listOf<I, N, C, R>([...names, step.name], [...steps, step as ListedStep<C>])
    },
  }
}

/** An empty list of steps over `T` with context `C` and drop reasons `R`. */
export function stepList<T, C, R extends string>(): StepList<T, T, C, R> {
  return listOf<T, T, C, R>([], [])
}

/**
 * The drop reason of a step's result, or undefined when it is the next value. A property read,
 * not `'drop' in x`: the values are of many shapes (requests, events, rows), and an `in` check
 * on them cost the event steps about a fifth of their time (measured with pipeline.event alone).
 */
function reasonOf<R extends string>(x: unknown): R | undefined {
  return typeof x === 'object' && x !== null ? (x as Partial<Drop<R>>).drop : undefined
}

/**
 * One run in this many is timed (performance.now() around each step): the cost of the clock
 * stays off nearly every event of the hot path, and the sums still show where the time goes.
 * A power of two, so the choice is a mask.
 */
export const TIMED_EVERY = 64

/**
 * Runs a list, counting into `metrics`:
 * `pipeline_step_drops_total{stage, step, reason}` for every drop,
 * `pipeline_step_sampled_seconds_total{stage, step}` and `pipeline_step_samples_total{stage, step}`
 * for the timed runs (their ratio is a step's mean time).
 */
export function createStepRunner<I, O, C, R extends string>(
  stage: string,
  list: StepList<I, O, C, R>,
  metrics: Metrics,
  timedEvery: number = TIMED_EVERY,
): (value: I, ctx: C) => O | Drop<R> {
  if (!Number.isInteger(Math.log2(timedEvery))) throw new Error(`timedEvery must be a power of two, not ${timedEvery}`)
  const mask = timedEvery - 1
  const seconds = list.names.map((step) => metrics.counter('pipeline_step_sampled_seconds_total', { stage, step }))
  const samples = list.names.map((step) => metrics.counter('pipeline_step_samples_total', { stage, step }))
  // Drop reasons come from closed unions: a handful of series per step, made on first use.
  const drops = list.names.map(() => new Map<string, { inc(by?: number): void }>())
  const dropOf = (index: number, reason: string) => {
    let c = drops[index]!.get(reason)
    if (!c) drops[index]!.set(reason, (c = metrics.counter('pipeline_step_drops_total', { stage, step: list.names[index]!, reason })))
    return c
  }
  const { steps } = list
  const n = steps.length
  let runs = 0
  return function runSteps(value, ctx) {
    let v: unknown = value
    // Two loops, so that the untimed one (all runs but one in timedEvery) reads no clock.
    if ((runs++ & mask) !== 0) {
      for (let i = 0; i < n; i++) {
        v = steps[i]!(v, ctx)
        const reason = reasonOf<R>(v)
        if (reason !== undefined) {
          dropOf(i, reason).inc()
          return v as Drop<R>
        }
      }
      return v as O
    }
    for (let i = 0; i < n; i++) {
      const start = performance.now()
      v = steps[i]!(v, ctx)
      seconds[i]!.inc((performance.now() - start) / 1000)
      samples[i]!.inc()
      const reason = reasonOf<R>(v)
      if (reason !== undefined) {
        dropOf(i, reason).inc()
        return v as Drop<R>
      }
    }
    // What the last step gave: `add` typed it O.
    return v as O
  }
}
