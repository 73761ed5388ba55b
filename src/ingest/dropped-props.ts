// Props the tracking plan dropped, counted per key (metrics and the 202 answer), so an
// integrator sees what their plan lacks. The key is one the plan declares or "[undeclared]"
// (compile-plan.ts): a closed set, so no label or answer key ever comes from a request
// (PRIVACY.md 19) and a sender cannot grow /metrics at will.
import type { Metrics } from '../observability/metrics.ts'
import type { DroppedProp } from '../plan/compile-plan.ts'

/** `{key: count}` for the answer; each drop counted in `dropped_props_total{key, reason}`. */
export function countDroppedProps(dropped: readonly DroppedProp[], metrics: Metrics): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const { key, reason } of dropped) {
    counts[key] = (counts[key] ?? 0) + 1
    metrics.inc('dropped_props_total', { key, reason })
  }
  return counts
}
