// The embedded engine's share of the node's memory at scrape time (docs/operations.md "Memory"):
// what it tracks as allocated and what its allocator holds resident. Node's own heap and the
// process's RSS are prom-client's default series (veil_nodejs_heap_size_used_bytes,
// veil_process_resident_memory_bytes).
import type { ClickHouseClient } from '@clickhouse/client'
import type { Metrics } from '../../observability/metrics.ts'

/** jemalloc's summary line of system.jemalloc_stats: "Allocated: n, active: n, metadata: n (...), resident: n, ...". */
export function jemallocResident(stats: string): number | undefined {
  const m = /\bresident: (\d+), mapped: \d+/.exec(stats)
  return m ? Number(m[1]) : undefined
}

export function registerEngineMetrics(metrics: Metrics, client: ClickHouseClient): void {
  let pending: Promise<{ tracked?: number; resident?: number }> | undefined
  const read = () =>
    (pending ??= (async () => {
      try {
        const rs = await client.query({
          query: "SELECT (SELECT value FROM system.metrics WHERE metric = 'MemoryTracking') AS tracked, (SELECT any(*) FROM system.jemalloc_stats) AS stats",
          format: 'JSONEachRow',
          clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
        })
        const [row] = await rs.json<{ tracked: number; stats: string }>()
        return { tracked: row ? Number(row.tracked) : undefined, resident: row ? jemallocResident(row.stats) : undefined }
      } finally {
        pending = undefined
      }
    })())
  metrics.gauge('engine_memory_tracked_bytes', async () => (await read()).tracked, 'Memory the embedded ClickHouse tracks as allocated (system.metrics MemoryTracking).')
  metrics.gauge('engine_allocator_resident_bytes', async () => (await read()).resident, "Memory the embedded ClickHouse's allocator holds resident, freed pages not yet returned included (jemalloc).")
}
