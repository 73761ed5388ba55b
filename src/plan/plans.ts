// The compiled tracking plan of an app, built once per app object (the apps are loaded at start
// and frozen), so the hot path looks a plan up instead of building one.
import type { AppConfig } from '../apps/apps.ts'
import { compilePlan, type CompiledPlan } from './compile-plan.ts'
import { resolvePlan } from './plan-schema.ts'

const compiled = new WeakMap<AppConfig, CompiledPlan>()

export function planOf(app: AppConfig): CompiledPlan {
  let plan = compiled.get(app)
  if (!plan) {
    plan = compilePlan(resolvePlan(app.plan))
    compiled.set(app, plan)
  }
  return plan
}
