// The central side of a relay (docs/relay.md): rows a relay anonymised at its site are checked
// again (row-check.ts), then stored through the same retry memory, store check and writer as
// events from /v1/batch (ingest-core.ts commitRows), so a forward sent twice, or a bundle
// imported twice, is stored once (the dedup of event ids: docs/durability.md).
import type { Config } from '../../config.ts'
import type { AppRegistry, RelaySite } from '../../apps/apps.ts'
import type { Metrics } from '../../observability/metrics.ts'
import type { EventRow } from '../../pipeline/types.ts'
import type { IdDedup } from '../../storage/dedup/retry-memory.ts'
import type { Writer } from '../../storage/commit/writer.ts'
import { commitRows } from '../../ingest/ingest-core.ts'
import { checkRelayRow } from './row-check.ts'
import type { RelayBook } from './relay-metrics.ts'

export interface AcceptRowsDeps {
  config: Pick<Config, 'WRITER_TIMEOUT_MS' | 'MAX_EVENT_AGE_HOURS' | 'MAX_FUTURE_SKEW_MINUTES'>
  apps: AppRegistry
  dedup: IdDedup
  writer: Writer<EventRow>
  metrics: Metrics
  relays: RelayBook
  now: () => number
}

export interface RelayRowsResult {
  /** Rows stored now or before (a retried forward's rows count as accepted: stored once). */
  accepted: number
  duplicates: number
  rejected: { index: number; reason: string }[]
}

/** Checks and stores `rows` from `relay`; throws StorageUnavailableError as the core does (a 503: the relay retries). */
export async function acceptRelayRows(deps: AcceptRowsDeps, relay: RelaySite, version: string, rows: readonly unknown[]): Promise<RelayRowsResult> {
  const { metrics } = deps
  const now = deps.now()
  const oldest = now - deps.config.MAX_EVENT_AGE_HOURS * 3600_000
  const newest = now + deps.config.MAX_FUTURE_SKEW_MINUTES * 60_000
  const good: EventRow[] = []
  const goodIndex: number[] = []
  const rejected: RelayRowsResult['rejected'] = []
  for (let i = 0; i < rows.length; i++) {
    const c = checkRelayRow(rows[i], (id) => deps.apps.get(id), relay.apps)
    let reason = c.ok ? undefined : c.reason
    // The same window as /v1/batch (MAX_EVENT_AGE_HOURS): a relay cut off longer than that loses rows.
    if (c.ok && (c.row[4] < oldest || c.row[3] < oldest)) reason = 'older than MAX_EVENT_AGE_HOURS'
    else if (c.ok && (c.row[4] > newest || c.row[3] > newest)) reason = 'too far in the future'
    if (c.ok && reason === undefined) good.push(c.row), goodIndex.push(i)
    else rejected.push({ index: i, reason: reason! })
  }
  if (rejected.length) metrics.inc('relay_rows_rejected_total', { relay: relay.id }, rejected.length)
  const { dead, duplicates } = await commitRows(deps, good)
  if (dead.length) {
    const deadIds = new Set(dead.map((r) => r[1]))
    good.forEach((r, i) => deadIds.has(r[1]) && rejected.push({ index: goodIndex[i]!, reason: 'storage refused this row\'s data' }))
  }
  const accepted = good.length - dead.length
  metrics.inc('relay_rows_total', { relay: relay.id }, accepted)
  const byApp = new Map<string, number>()
  for (const r of good) byApp.set(r[0], (byApp.get(r[0]) ?? 0) + 1)
  for (const [app, n] of byApp) metrics.inc('accepted_events_total', { app }, n)
  // Per relay: a forward may mix apps, and commitRows counts its duplicates as one number.
  if (duplicates > 0) metrics.inc('relay_duplicate_rows_total', { relay: relay.id }, duplicates)
  deps.relays.record(relay.id, version, good.length ? good.reduce((m, r) => Math.min(m, r[4]), Infinity) : undefined)
  return { accepted, duplicates, rejected }
}
