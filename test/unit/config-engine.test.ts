// The embedded engine's memory settings in the one config schema: defaults, bounds and the
// allocator options' form, each refusal naming the variable.
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { refusal } from '../support/config-refusal.ts'
import { engineServerArgs, engineSessionSettings } from '../../src/storage/clickhouse/engine-settings.ts'

const DEFAULT_BLOCK_ROWS = 1_048_449
const DEFAULT_MALLOC_CONF = 'dirty_decay_ms:1000'

describe('ENGINE_* settings', () => {
  it('default to bounded caches, the feed-sized insert block and prompt return of freed memory', () => {
    const c = loadConfig({})
    expect(c.ENGINE_CACHE_BYTES).toBe(64 * 2 ** 20)
    expect(c.ENGINE_INSERT_BLOCK_ROWS).toBe(DEFAULT_BLOCK_ROWS)
    expect(c.ENGINE_MALLOC_CONF).toBe(DEFAULT_MALLOC_CONF)
  })

  it('read their values and turn them into the engine arguments and session settings', () => {
    const c = loadConfig({ ENGINE_CACHE_BYTES: '1048576', ENGINE_INSERT_BLOCK_ROWS: '20000', ENGINE_MALLOC_CONF: 'dirty_decay_ms:0,muzzy_decay_ms:0' })
    expect(engineServerArgs(c)).toEqual([
      '--mark_cache_size=1048576',
      '--index_mark_cache_size=1048576',
      '--primary_index_cache_size=1048576',
      '--query_condition_cache_size=1048576',
    ])
    expect(engineSessionSettings(c)).toEqual({ min_insert_block_size_rows: 20000, min_insert_block_size_bytes: 20000 * 256 })
    expect(c.ENGINE_MALLOC_CONF).toBe('dirty_decay_ms:0,muzzy_decay_ms:0')
  })

  it('allows caches of 0 (off)', () => {
    expect(loadConfig({ ENGINE_CACHE_BYTES: '0' }).ENGINE_CACHE_BYTES).toBe(0)
  })

  it('refuses a negative or non-numeric cache size, naming the variable', () => {
    expect(refusal({ ENGINE_CACHE_BYTES: '-1' })).toMatch(/ENGINE_CACHE_BYTES: /)
    expect(refusal({ ENGINE_CACHE_BYTES: '64MB' })).toMatch(/ENGINE_CACHE_BYTES: /)
  })

  it('refuses insert blocks under 1024 rows', () => {
    expect(refusal({ ENGINE_INSERT_BLOCK_ROWS: '1023' })).toMatch(/ENGINE_INSERT_BLOCK_ROWS: .*1024/)
  })

  it.each(['dirty_decay_ms', 'dirty_decay_ms=1000', 'dirty_decay_ms:1000,', 'a:1;rm -rf', ' dirty_decay_ms:1'])(
    'refuses the allocator options %j with an example of the form',
    (v) => {
      expect(refusal({ ENGINE_MALLOC_CONF: v })).toMatch(/ENGINE_MALLOC_CONF: use jemalloc's form, e\.g\. dirty_decay_ms:/)
    },
  )
})
