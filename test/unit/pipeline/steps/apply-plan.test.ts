// apply_plan (PRIVACY.md 12): the app's plan keeps declared props, drops and reports the rest,
// rejects undeclared events, and marks text and path props for the steps after it.
import { describe, expect, it } from 'vitest'
import { createApplyPlanStep } from '../../../../src/pipeline/steps/apply-plan.ts'
import type { DroppedProp } from '../../../../src/plan/compile-plan.ts'
import { app, hashedEvent } from '../fixtures.ts'

describe('apply_plan step', () => {
  const step = createApplyPlanStep()
  const shop = app({ plan: { mode: 'strict', events: { cart_opened: { props: { items: { kind: 'integer', min: 0, max: 1000 }, note: { kind: 'text' } } } } } })

  it('keeps declared props, reports dropped ones and marks text', () => {
    const dropped: DroppedProp[] = []
    const out = step(hashedEvent({ name: 'cart_opened', props: { items: 2, note: 'hi', username: 'jroe' } }), { req: { app: shop }, droppedProps: dropped })
    expect(out).toMatchObject({ props: { items: 2, note: 'hi' }, text: ['note'], paths: [] })
    expect(dropped).toEqual([{ key: '[undeclared]', reason: 'undeclared' }])
  })

  it('rejects an event the plan does not declare; an app without a plan has the catalog only', () => {
    expect(step(hashedEvent({ name: 'checkout' }), { req: { app: shop }, droppedProps: [] })).toMatchObject({ drop: 'not_in_plan' })
    expect(step(hashedEvent({ name: 'cart_opened' }), { req: { app: app() }, droppedProps: [] })).toMatchObject({ drop: 'not_in_plan' })
    expect(step(hashedEvent({ name: 'login', props: { method: 'sso' } }), { req: { app: app() }, droppedProps: [] })).toMatchObject({ props: { method: 'sso' } })
  })
})
