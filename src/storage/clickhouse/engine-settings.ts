// What the embedded engine (chDB) is told about memory (docs/operations.md "Memory"): server
// settings given when it starts and session settings for every statement (its allocator's
// options go through the environment: config.ts, exportAllocatorOptions). A ClickHouse server
// (CLICKHOUSE_URL) keeps its own configuration.
import type { Config } from '../../config.ts'

export type EngineConfig = Pick<Config, 'ENGINE_CACHE_BYTES' | 'ENGINE_INSERT_BLOCK_ROWS' | 'ENGINE_MALLOC_CONF'>

/**
 * The caches a server sizes for a dedicated machine (5 GiB each by default): marks and primary
 * indexes of the parts that queries read. Bounded, they hold what the reports and the dedup
 * lookups of a node's recent data need.
 */
export const CACHE_SETTINGS = ['mark_cache_size', 'index_mark_cache_size', 'primary_index_cache_size', 'query_condition_cache_size'] as const

/** Server settings, in `clickhouse local`'s command-line form: they cannot be SET later. */
export function engineServerArgs(c: EngineConfig): string[] {
  return CACHE_SETTINGS.map((name) => `--${name}=${c.ENGINE_CACHE_BYTES}`)
}

/**
 * Session settings, SET once on the session (chDB keeps them for its later statements).
 * min_insert_block_size_rows bounds the block a feed's INSERT ... SELECT gathers before it
 * writes a part and runs the views; the bytes bound (256 MiB by default) is scaled with it so
 * that the rows decide.
 */
export function engineSessionSettings(c: EngineConfig): Record<string, number> {
  return {
    min_insert_block_size_rows: c.ENGINE_INSERT_BLOCK_ROWS,
    min_insert_block_size_bytes: c.ENGINE_INSERT_BLOCK_ROWS * 256,
  }
}
