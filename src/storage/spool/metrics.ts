// The write-ahead spool's metrics (WRITE_MODE=spool), registered in one place: its backlog,
// health and damage (docs/durability.md, "Operating"), read from spool.stats() at scrape time so
// the spool's own hot path stays free of metric calls. The *_total series are counters whose
// totals the spool keeps.
import type { Metrics } from '../../observability/metrics.ts'
import type { Spool } from './types.ts'

export function registerSpoolMetrics(metrics: Metrics, spool: Spool): void {
  const s = () => spool.stats()
  metrics.gauge('spool_pending_rows', () => s().pendingRows, 'Rows synced to the spool and not yet in ClickHouse.')
  metrics.gauge('spool_pending_bytes', () => s().pendingBytes, 'Bytes synced to the spool and not yet in ClickHouse.')
  metrics.gauge('spool_oldest_unfed_seconds', () => s().oldestUnfedMs / 1000, 'Age of the oldest spooled frame not yet in ClickHouse; 0 when none waits.')
  metrics.gauge('spool_failed', () => (s().failed ? 1 : 0), '1 while the spool refuses writes after a disk failure (it heals by itself).')
  metrics.counterOf('spool_syncs_total', () => s().syncs, 'fdatasync calls of the spool.')
  metrics.counterOf('spool_write_failures_total', () => s().writeFailures, 'Spool writes that failed or were cut short, truncated back and answered 503.')
  metrics.counterOf('spool_disk_refused_rows_total', () => s().diskRefusedRows, 'Rows refused because the spool disk is short of SPOOL_MIN_FREE_BYTES.')
  metrics.counterOf('spool_full_refused_rows_total', () => s().refusedRows, 'Rows refused because the spool holds SPOOL_MAX_BYTES.')
  metrics.counterOf('spool_failed_inserts_total', () => s().failedInserts, 'Inserts from the spool into ClickHouse that failed (each range is retried).')
  metrics.counterOf('spool_retries_total', () => s().retries, 'Ranges inserted again after a failure of unknown outcome, with the same token.')
  metrics.counterOf('spool_replayed_rows_total', () => s().replayedRows, 'Rows replayed from the spool at start.')
  metrics.counterOf('spool_corrupt_segments_total', () => s().corruptSegments, 'Spool segments found with a torn or damaged frame on open.')
  metrics.counterOf('spool_corrupt_bytes_total', () => s().corruptBytes, 'Bytes of damaged spool frames skipped.')
  metrics.counterOf('spool_corrupt_rows_total', () => s().corruptRows, 'Rows in damaged spool frames skipped (lost; see docs/durability.md).')
  metrics.counterOf('spool_damaged_segments_total', () => s().damagedSegments, 'Spool segments moved aside as *.seg.damaged.')
}
