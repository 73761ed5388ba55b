// The embedded engine's memory settings (src/storage/clickhouse/engine-settings.ts) are in effect: read
// back from the engine itself, with values that are neither its defaults nor Veil's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { loadConfig } from '../../src/config.ts'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { CACHE_SETTINGS } from '../../src/storage/clickhouse/engine-settings.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import { registerEngineMetrics } from '../../src/storage/clickhouse/engine-metrics.ts'
import { createMetrics } from '../../src/observability/metrics.ts'
import { tempDir } from '../support/server.ts'

// Odd values, so that a match cannot be a default.
const CACHE = 37 * 2 ** 20 + 4096
const BLOCK_ROWS = 12_345
const MALLOC = 'dirty_decay_ms:777,muzzy_decay_ms:0'

let storage: Storage
beforeAll(async () => {
  // This file's process has not loaded chDB yet (a process per test file), so the allocator
  // reads the variable Veil sets from the configuration.
  storage = await openStorage(
    loadConfig({ DATA_DIR: join(tempDir('engine-settings-'), 'ch'), ENGINE_CACHE_BYTES: String(CACHE), ENGINE_INSERT_BLOCK_ROWS: String(BLOCK_ROWS), ENGINE_MALLOC_CONF: MALLOC }),
  )
})
afterAll(() => storage?.close())

async function rows<T>(query: string): Promise<T[]> {
  const rs = await storage.client.query({ query, format: 'JSONEachRow' })
  return rs.json<T>()
}

describe('the embedded engine opened by openStorage', () => {
  it('bounds each cache of marks and indexes to ENGINE_CACHE_BYTES', async () => {
    const got = await rows<{ name: string; value: string }>(
      `SELECT name, value FROM system.server_settings WHERE name IN (${CACHE_SETTINGS.map((n) => `'${n}'`).join(', ')}) ORDER BY name`,
    )
    expect(got).toEqual([...CACHE_SETTINGS].sort().map((name) => ({ name, value: String(CACHE) })))
  })

  it('gathers at most ENGINE_INSERT_BLOCK_ROWS rows into an insert block, on every later statement', async () => {
    await migrate(storage.client, { retentionMonths: 24 })
    const got = await rows<{ name: string; value: string }>(
      "SELECT name, value FROM system.settings WHERE name IN ('min_insert_block_size_rows', 'min_insert_block_size_bytes') ORDER BY name",
    )
    expect(got).toEqual([
      { name: 'min_insert_block_size_bytes', value: String(BLOCK_ROWS * 256) },
      { name: 'min_insert_block_size_rows', value: String(BLOCK_ROWS) },
    ])
  })

  it('gives the allocator ENGINE_MALLOC_CONF', async () => {
    const [stats] = await rows<Record<string, string>>('SELECT * FROM system.jemalloc_stats')
    const text = Object.values(stats!).join('\n')
    expect(text).toContain(`Environment variable MALLOC_CONF: "${MALLOC}"`)
    expect(text).toMatch(/opt\.dirty_decay_ms: 777\b/)
  })
})

describe('the engine memory series of /metrics', () => {
  it('report what the engine tracks and what its allocator holds, both above zero', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    registerEngineMetrics(metrics, storage.client)
    const text = await metrics.render()
    const value = (name: string) => Number(new RegExp(`^veil_${name} (\\S+)$`, 'm').exec(text)?.[1])
    expect(value('engine_memory_tracked_bytes')).toBeGreaterThan(0)
    // At least the engine's own tracked memory is resident in its allocator.
    expect(value('engine_allocator_resident_bytes')).toBeGreaterThan(2 ** 20)
  })
})
