// The salts' series (PRIVACY.md 15, 19), read at scrape time: how many salts this node holds,
// and how long ago the earliest salt still kept retired, which stays 0 while deletion at
// rotation works (docs/operations.md, "Alerts"). Neither moves with one person.
import type { AppRegistry } from '../apps/apps.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { SaltStore } from './salts.ts'

export function registerSaltMetrics(metrics: Metrics, salts: SaltStore, apps: AppRegistry): void {
  metrics.gauge('salts_held', () => apps.apps.reduce((n, a) => n + salts.held(a.id).length, 0), 'Salts this node holds in memory now (one per app that sent in its current period).')
  metrics.gauge('salt_overdue_seconds', () => salts.overdueSeconds(), 'Seconds since the earliest retirement of a salt still kept; 0 while retired salts are deleted at rotation.')
}
