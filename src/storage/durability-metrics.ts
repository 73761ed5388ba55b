// The durability metrics of Veil in one place (docs/durability.md, "Operating"): the spool's
// backlog and damage, the writer's retries, dead-lettered rows. Read at scrape time from the
// spool's and writer's own counters, in the style of metrics.ts (gauges named *_total are
// monotonic counters kept elsewhere).
import type { Metrics } from '../metrics.ts'
import type { Spool } from './spool.ts'
import type { Writer } from './writer.ts'

export function registerDurabilityMetrics(metrics: Metrics, writer: Writer<unknown[]>, spool?: Spool): void {
  metrics.gauge('writer_retries_total', () => writer.stats().retries)
  metrics.gauge('dead_lettered_rows_total', () => writer.stats().deadLetteredRows)
  if (!spool) return
  const s = () => spool.stats()
  metrics.gauge('spool_pending_bytes', () => s().pendingBytes)
  metrics.gauge('spool_pending_rows', () => s().pendingRows)
  metrics.gauge('spool_oldest_unfed_seconds', () => s().oldestUnfedMs / 1000)
  metrics.gauge('spool_failed', () => (s().failed ? 1 : 0))
  metrics.gauge('spool_syncs_total', () => s().syncs)
  metrics.gauge('spool_write_failures_total', () => s().writeFailures)
  metrics.gauge('spool_disk_refused_rows_total', () => s().diskRefusedRows)
  metrics.gauge('spool_full_refused_rows_total', () => s().refusedRows)
  metrics.gauge('spool_failed_inserts_total', () => s().failedInserts)
  metrics.gauge('spool_replayed_rows_total', () => s().replayedRows)
  metrics.gauge('spool_corrupt_segments_total', () => s().corruptSegments)
  metrics.gauge('spool_corrupt_bytes_total', () => s().corruptBytes)
  metrics.gauge('spool_corrupt_rows_total', () => s().corruptRows)
  metrics.gauge('spool_damaged_segments_total', () => s().damagedSegments)
}
