// The step runner (src/pipeline/runner.ts): steps run in the listed order, the first drop ends a
// run, every drop is counted by stage, step and reason, and the sampled runs are timed per step.
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../../../src/observability/metrics.ts'
import { createStepRunner, stepList, TIMED_EVERY } from '../../../src/pipeline/runner.ts'
import type { Drop } from '../../../src/pipeline/types.ts'

type Reason = 'odd' | 'big'

function createDropOddStep() {
  return function dropOdd(n: number, seen: string[]): number | Drop<Reason> {
    seen.push('dropOdd')
    return n % 2 === 1 ? { drop: 'odd', message: `${n} is odd` } : n
  }
}
function createHalveStep() {
  return function halve(n: number, seen: string[]): number {
    seen.push('halve')
    return n / 2
  }
}
function createToTextStep() {
  return function toText(n: number, seen: string[]): string | Drop<Reason> {
    seen.push('toText')
    return n > 100 ? { drop: 'big', message: 'too big' } : `#${n}`
  }
}

const list = () => stepList<number, string[], Reason>().add(createDropOddStep()).add(createHalveStep()).add(createToTextStep())

describe('step runner', () => {
  it('runs the steps in the listed order, each on what the one before gave', () => {
    const run = createStepRunner('test', list(), createMetrics({ defaultMetrics: false }))
    const seen: string[] = []
    expect(run(8, seen)).toBe('#4')
    expect(seen).toEqual(['dropOdd', 'halve', 'toText'])
    expect(list().names).toEqual(['dropOdd', 'halve', 'toText'])
  })

  it('stops at the first drop and counts it by stage, step and reason', () => {
    const metrics = createMetrics({ defaultMetrics: false })
    const run = createStepRunner('test', list(), metrics)
    const seen: string[] = []
    expect(run(7, seen)).toEqual({ drop: 'odd', message: '7 is odd' })
    expect(seen).toEqual(['dropOdd'])
    run(9, [])
    run(400, [])
    expect(metrics.get('pipeline_step_drops_total', { stage: 'test', step: 'dropOdd', reason: 'odd' })).toBe(2)
    expect(metrics.get('pipeline_step_drops_total', { stage: 'test', step: 'toText', reason: 'big' })).toBe(1)
    expect(metrics.get('pipeline_step_drops_total', { stage: 'test', step: 'halve', reason: 'odd' })).toBe(0)
  })

  it('times one run in TIMED_EVERY, each step it reached', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    const run = createStepRunner('test', list(), metrics)
    for (let i = 0; i < 3 * TIMED_EVERY; i++) run(2 * i, [])
    // Runs 0, 64 and 128 were timed; none of them dropped, so every step has three samples.
    for (const step of ['dropOdd', 'halve', 'toText']) {
      expect(metrics.get('pipeline_step_samples_total', { stage: 'test', step })).toBe(3)
      expect(metrics.get('pipeline_step_sampled_seconds_total', { stage: 'test', step })).toBeGreaterThanOrEqual(0)
    }
    const text = await metrics.render()
    expect(text).toContain('veil_pipeline_step_sampled_seconds_total{stage="test",step="halve"}')
    expect(text).toMatch(/# TYPE veil_pipeline_step_drops_total counter|# TYPE veil_pipeline_step_samples_total counter/)
  })

  it('times every run when asked to, and refuses a rate that is not a power of two', () => {
    const metrics = createMetrics({ defaultMetrics: false })
    const run = createStepRunner('test', list(), metrics, 1)
    for (let i = 0; i < 10; i++) run(i, [])
    // Five odd numbers stopped at dropOdd: only the five even ones reached halve.
    expect(metrics.get('pipeline_step_samples_total', { stage: 'test', step: 'dropOdd' })).toBe(10)
    expect(metrics.get('pipeline_step_samples_total', { stage: 'test', step: 'halve' })).toBe(5)
    expect(() => createStepRunner('test', list(), metrics, 48)).toThrow(/power of two/)
  })

  it('refuses a step without a name, which no count or trace could name', () => {
    expect(() => stepList<number, undefined, Reason>().add((n: number) => n)).toThrow(/no name/)
  })
})
