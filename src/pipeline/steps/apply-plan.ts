// apply_plan: the app's tracking plan decides what of an event may be stored (PRIVACY.md 12).
// Undeclared events are rejected; undeclared or ill-shaped props are dropped and reported; the
// kept props' kinds tell scrub_text and normalise_path which values are free text and paths.
import { planOf } from '../../plan/plans.ts'
import type { DroppedProp } from '../../plan/compile-plan.ts'
import type { AppConfig } from '../../apps/apps.ts'
import { withProps, type Drop, type HashedEvent, type RejectReason } from '../types.ts'

export function createApplyPlanStep() {
  return function applyPlan(event: HashedEvent, ctx: { req: { app: AppConfig }; droppedProps: DroppedProp[] }): HashedEvent | Drop<RejectReason> {
    const planned = planOf(ctx.req.app).apply(event.name, event.props)
    if ('reject' in planned) return { drop: planned.reject, message: planned.message }
    for (const d of planned.dropped) ctx.droppedProps.push(d)
    if (planned.props === event.props && planned.text.length === 0 && planned.paths.length === 0) return event
    return withProps(event, planned.props, planned.text, planned.paths)
  }
}
