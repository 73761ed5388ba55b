// apply_plan: the app's tracking plan decides what of an event may be stored (PRIVACY.md 12).
// Undeclared events are rejected; undeclared or ill-shaped props are dropped and reported; the
// kept props' kinds tell scrub_text and normalise_path which values are free text and paths.
import { planOf } from '../../plan/plans.ts'
import type { DroppedProp } from '../../plan/compile-plan.ts'
import type { AppConfig } from '../../apps/apps.ts'
import { withProps, type Drop, type HashedEvent, type RejectReason } from '../types.ts'
import type { UnplannedRecorder } from '../../privacy/values/unplanned.ts'
import type { SaltedKeys } from './hash-ids.ts'

/** `unplanned`: where refused names go, sealed (src/privacy/values/unplanned.ts); none by default. */
export function createApplyPlanStep(unplanned?: UnplannedRecorder) {
  return function applyPlan(event: HashedEvent, ctx: { req: { app: AppConfig }; droppedProps: DroppedProp[]; keys?: SaltedKeys; receivedAt?: number }): HashedEvent | Drop<RejectReason> {
    const app = ctx.req.app
    const planned = planOf(app).apply(event.name, event.props)
    if ('reject' in planned) {
      if (unplanned && ctx.keys && planned.reject === 'not_in_plan') unplanned.record([ctx.keys, app.salt_rotation_hours], event, planned.reject, ctx.receivedAt ?? Date.now())
      return { drop: planned.reject, message: planned.message }
    }
    for (const d of planned.dropped) ctx.droppedProps.push(d)
    if (unplanned && ctx.keys && planned.dropped.some((d) => d.reason === 'undeclared')) {
      const declared = planOf(app).plan.events[event.name]?.props ?? {}
      unplanned.record([ctx.keys, app.salt_rotation_hours], event, 'undeclared_prop', ctx.receivedAt ?? Date.now(), Object.keys(event.props).filter((k) => !(k in declared)))
    }
    if (planned.props === event.props && planned.text.length === 0 && planned.paths.length === 0) return event
    return withProps(event, planned.props, planned.text, planned.paths)
  }
}
