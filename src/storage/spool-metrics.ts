// The write-ahead spool's metrics (WRITE_MODE=spool), registered in one place: add new spool
// series here (bytes, the oldest frame's age, dead letters...), read from spool.stats() at
// scrape time so the spool's own hot path stays free of metric calls.
import type { Metrics } from '../metrics.ts'
import type { Spool } from './spool.ts'

export function registerSpoolMetrics(metrics: Metrics, spool: Spool): void {
  metrics.gauge('spool_pending_rows', () => spool.stats().pendingRows, 'Rows synced to the spool and not yet in ClickHouse.')
  metrics.gauge('spool_pending_bytes', () => spool.stats().pendingBytes, 'Bytes synced to the spool and not yet in ClickHouse.')
  metrics.gauge('spool_syncs_total', () => spool.stats().syncs, 'fdatasync calls of the spool (a counter, read from the spool).')
  metrics.gauge('spool_corrupt_segments_total', () => spool.stats().corruptSegments, 'Spool segments found with a torn tail on open.')
}
