// Props the tracking plan dropped, counted per key (metrics and the 202 answer), so an
// integrator sees what their plan lacks. A key shaped like personal data is never shown: it is
// counted as "[unsafe key]". Label values are bounded so a sender cannot grow /metrics at will.
import { isSafeKey } from '../../sdk/core/shapes.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { DroppedProp } from '../plan/compile-plan.ts'

export const UNSAFE_KEY = '[unsafe key]'
const OTHER_KEY = '[other]'
const MAX_LABELLED_KEYS = 200
const labelled = new Set<string>()

function labelOf(key: string): string {
  if (labelled.has(key)) return key
  if (labelled.size >= MAX_LABELLED_KEYS) return OTHER_KEY
  labelled.add(key)
  return key
}

/** `{key: count}` for the answer; each drop counted in `dropped_props_total{key, reason}`. */
export function countDroppedProps(dropped: readonly DroppedProp[], metrics: Metrics): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const { key, reason } of dropped) {
    const shown = isSafeKey(key) ? key : UNSAFE_KEY
    counts[shown] = (counts[shown] ?? 0) + 1
    metrics.inc('dropped_props_total', { key: shown === UNSAFE_KEY ? shown : labelOf(shown), reason })
  }
  return counts
}
