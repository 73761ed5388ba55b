// The series of one Veil node that are read at scrape time: writer depth and age and the writer's
// totals (exported as counters); plus the timing of every ClickHouse insert and of the stored-ids
// lookup before one. The salts' series are registered with the salts (src/privacy/salt-metrics.ts).
import type { ClickHouseClient } from '@clickhouse/client'
import type { AppRegistry } from '../apps/apps.ts'
import type { Metrics } from './metrics.ts'
import type { StoredAmong } from '../storage/dedup/stored-ids.ts'
import type { Writer } from '../storage/commit/writer.ts'

export function registerServerMetrics(metrics: Metrics, deps: { writer: Writer<unknown>; client: ClickHouseClient; apps: AppRegistry; now: () => number }): void {
  const { writer, apps } = deps
  metrics.gauge('writer_pending_rows', () => writer.stats().pendingRows, 'Rows accepted and not yet committed (direct mode) or not yet in ClickHouse (spool mode).')
  metrics.gauge('writer_oldest_pending_seconds', () => (writer.stats().oldestPendingMs ?? 0) / 1000, 'Age of the oldest row waiting for its insert; 0 when none waits.')
  metrics.counterOf('writer_inserts_total', () => writer.stats().inserts, 'Inserts committed by the writer.')
  metrics.counterOf('writer_rows_written_total', () => writer.stats().rowsWritten, 'Rows committed by the writer, events found stored already and left out included.')
  metrics.counterOf('writer_failed_inserts_total', () => writer.stats().failedInserts, 'Writer inserts that failed.')
  metrics.counterOf('writer_refused_rows_total', () => writer.stats().refusedRows, 'Rows refused because too many were pending.')
  metrics.counterOf('writer_retries_total', () => writer.stats().retries, 'Inserts re-sent with the same rows and token after an unknown outcome (docs/durability.md).')
  metrics.counterOf('dead_lettered_rows_total', () => writer.stats().deadLetteredRows, 'Rows ClickHouse refused for their data, dead-lettered and quarantined.')
  metrics.gauge('apps', () => apps.apps.length, 'Apps configured in APPS_FILE.')
}

/** Wraps an insert so its duration and failures are recorded by table and outcome. */
export function timedInsert<A extends unknown[]>(metrics: Metrics, table: string, insert: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  const ok = { table, outcome: 'ok' }
  const failed = { table, outcome: 'failed' }
  const byTable = { table }
  // The series exists from the start, at 0, so an alert on its rate has something to read.
  metrics.inc('insert_failures_total', byTable, 0)
  return async (...args) => {
    const start = performance.now()
    try {
      await insert(...args)
      metrics.observe('insert_duration_seconds', ok, (performance.now() - start) / 1000)
    } catch (e) {
      metrics.observe('insert_duration_seconds', failed, (performance.now() - start) / 1000)
      metrics.inc('insert_failures_total', byTable)
      throw e
    }
  }
}

/**
 * Wraps the stored-ids lookup (stored-ids.ts) so its time, the ids it looked up and those it found
 * stored are counted: the lookup before an insert that direct mode, JSON spool frames and a
 * ClickHouse server run, whose cost grows with two hours of traffic (docs/operations.md "Several
 * nodes"). The embedded spool's check inside its insert is not a lookup of its own and is not
 * counted here.
 */
export function timedStoredIds(metrics: Metrics, storedAmong: StoredAmong): StoredAmong {
  const time = metrics.histogram('store_check_duration_seconds', {})
  const looked = metrics.counter('store_check_ids_total')
  const found = metrics.counter('store_check_stored_total')
  looked.inc(0)
  found.inc(0)
  return async (ids) => {
    const start = performance.now()
    const stored = await storedAmong(ids)
    time.observe((performance.now() - start) / 1000)
    looked.inc(ids.length)
    found.inc(stored.size)
    return stored
  }
}
