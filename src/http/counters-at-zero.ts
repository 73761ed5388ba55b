// Every counter of a closed label set exists from the start, at 0 (docs/operations.md "Alerts"):
// Prometheus' increase() sees nothing of a series' first sample, so a series born with the first
// incident would hide it. Apps are read on each scrape, so an app added by a reload gets its
// series at once. The lists are typed as records of the unions, so a new reason cannot be
// forgotten here.
import type { AppRegistry } from '../apps/apps.ts'
import type { CompatDrop, Dialect, PropDrop } from '../compat/common.ts'
import type { DropReason, RejectReason } from '../pipeline/types.ts'
import type { StorageUnavailableError } from '../storage/commit/writer.ts'
import type { Metrics } from '../observability/metrics.ts'

const REQUEST_DROPS: Record<DropReason, true> = { bot: true, gpc: true }
const REJECTS: Record<RejectReason, true> = { invalid: true, not_in_plan: true, invalid_prop: true, too_old: true, too_far_in_future: true }
const UNAVAILABLE: Record<StorageUnavailableError['reason'], true> = { overloaded: true, timeout: true, failed: true, shutdown: true, clock: true }
const COMPAT_EVENTS: Record<CompatDrop, true> = { trait: true, internal: true, key_mismatch: true, too_large: true, metrics: true }
const COMPAT_PROPS: Record<PropDrop, true> = { trait: true, dollar: true, context: true, key: true, value: true }
const DIALECTS: Record<Dialect, true> = { posthog: true, segment: true }

/** Creates the fixed series now and returns what creates each app's on a scrape. */
export function countersAtZero(metrics: Metrics, apps: AppRegistry): () => void {
  const zero = (name: string, labels?: Record<string, string>) => metrics.inc(name, labels, 0)
  for (const name of ['internal_errors_total', 'quarantine_write_failures_total', 'client_aborted_total']) zero(name)
  for (const reason of Object.keys(UNAVAILABLE)) zero('unavailable_total', { reason })
  for (const dialect of Object.keys(DIALECTS)) {
    for (const reason of Object.keys(COMPAT_EVENTS)) zero('compat_dropped_events_total', { dialect, reason })
    for (const reason of Object.keys(COMPAT_PROPS)) zero('compat_dropped_props_total', { dialect, reason })
  }
  const done = new Set<string>()
  const perApp = () => {
    for (const { id } of apps.apps) {
      if (done.has(id)) continue
      done.add(id)
      for (const name of ['accepted_events_total', 'duplicate_events_total', 'rate_limited_total']) zero(name, { app: id })
      for (const reason of Object.keys(REQUEST_DROPS)) zero('dropped_events_total', { app: id, reason })
      for (const reason of Object.keys(REJECTS)) zero('rejected_events_total', { app: id, reason })
    }
  }
  perApp()
  return perApp
}
