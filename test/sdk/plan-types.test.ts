// Tracking-plan types (README "Tracking plan"): `veil plan-types` turns an app's plan into a
// `VeilPlanEvents` interface that types the SDKs' track through `PlanTrack`. The fixture is the
// demo plan's output, checked to be current here and type-checked by tsc in `npm test`.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { PlanTrack } from '../../sdk/core/track-types.ts'
import type { Track } from '../../sdk/core/track-types.ts'
import { DEMO_PLAN, planSchema, resolvePlan } from '../../src/plan/plan-schema.ts'
import { compilePlan } from '../../src/plan/compile-plan.ts'
import { planTypes } from '../../src/plan/plan-types.ts'
import type { VeilPlanEvents } from './fixtures/demo-plan-types.ts'

const demo = resolvePlan(planSchema.parse(DEMO_PLAN))

describe('plan types', () => {
  it('are what plan-types writes for the demo plan today', () => {
    expect(planTypes('demo', demo)).toBe(readFileSync(new URL('./fixtures/demo-plan-types.ts', import.meta.url), 'utf8'))
  })

  it('type the calls the server accepts and refuse the ones it rejects', () => {
    const calls: [string, Record<string, unknown>][] = []
    const track = ((name: string, props?: Record<string, unknown>) => void calls.push([name, props ?? {}])) as PlanTrack<VeilPlanEvents>
    track('report_export', { format: 'csv', rows: 3 })
    track('login', { method: 'sso' })
    track('app_stop', { uptime_ms: 5 })
    const compileOnly = () => {
      // @ts-expect-error format must be one of the enum's values
      track('report_export', { format: 'docx' })
      // @ts-expect-error format is required
      track('report_export', { rows: 3 })
      // @ts-expect-error an event outside the plan
      track('checkout.started')
    }
    void compileOnly
    const plan = compilePlan(demo)
    for (const [name, props] of calls) expect(plan.apply(name, props as never), name).not.toHaveProperty('reject')
    expect(plan.apply('report_export', { format: 'docx' })).toHaveProperty('reject', 'invalid_prop')
  })

  it('let an SDK track be narrowed to the plan', () => {
    const sdkTrack = (() => undefined) as Track
    const track = sdkTrack as PlanTrack<VeilPlanEvents>
    expect(typeof track).toBe('function')
  })
})
