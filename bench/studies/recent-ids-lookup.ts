// What one lookup of the stored-ids check costs the engine as `recent_event_ids` fills up: the
// query a ClickHouse server answers per insert in direct mode and per feed in spool mode
// (stored-ids.ts createStoredIds; docs/durability.md "several nodes"), on the embedded engine
// as a stand-in for a server, beside two layouts the table could have instead.
//
//   npx tsx bench/studies/recent-ids-lookup.ts [--stored 14400000] [--parts 8] [--ids 5,50,500,5000] [--rounds 3]
//                                              [--layouts migrated,granules256,rocksdb]
//
// Layouts, each filled with the same --stored ids (two hours at 2 k events/s by default) in
// --parts inserts with merges stopped, so each keeps as many parts as a busy table has:
//   migrated     recent_event_ids as sql/0033 makes it (MergeTree ordered by event_id, 8,192 rows a granule)
//   granules256  the same with index_granularity = 256
//   rocksdb      an EmbeddedRocksDB table keyed by event_id with a two-hour TTL (point lookups)
// Each lookup asks for --ids ids, nine in ten of them stored; the figures are wall time and
// whole-process CPU (every thread; resolution 10 ms) per lookup, medians over --rounds.
import { mkdtempSync, rmSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openStorage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import { cpuSnapshot } from '../cpu-split.ts'

const { values: args } = parseArgs({
  options: {
    stored: { type: 'string', default: '14400000' },
    parts: { type: 'string', default: '8' },
    ids: { type: 'string', default: '5,50,500,5000' },
    rounds: { type: 'string', default: '3' },
    layouts: { type: 'string', default: 'migrated,granules256,rocksdb' },
  },
})
const stored = Number(args.stored)
const parts = Number(args.parts)

const TABLE = 'event_id UUID, received_at DateTime64(3, \'UTC\')'
const LAYOUTS: Record<string, { table: string; create?: string }> = {
  migrated: { table: 'recent_event_ids' },
  granules256: {
    table: 'recent_ids_g256',
    create: `CREATE TABLE recent_ids_g256 (${TABLE}) ENGINE = MergeTree PARTITION BY toStartOfHour(received_at) ORDER BY event_id SETTINGS index_granularity = 256`,
  },
  rocksdb: { table: 'recent_ids_rocksdb', create: `CREATE TABLE recent_ids_rocksdb (${TABLE}) ENGINE = EmbeddedRocksDB(7200) PRIMARY KEY event_id` },
}
const layouts = args.layouts.split(',')
for (const l of layouts) if (!LAYOUTS[l]) throw new Error(`unknown layout ${l}; known: ${Object.keys(LAYOUTS).join(', ')}`)

const dir = mkdtempSync(join(tmpdir(), 'veil-recent-ids-'))
const storage = await openStorage({ DATA_DIR: dir, CLICKHOUSE_DATABASE: 'veil', CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: '' })
const client = storage.client
const rowsOf = async <T>(query: string, params?: Record<string, unknown>) =>
  (await client.query({ query, query_params: params, format: 'JSONCompactEachRow' })).json<T>()
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
try {
  await migrate(client, { retentionMonths: 24 })
  await client.command({ query: 'CREATE TABLE bench_ids (event_id UUID) ENGINE = MergeTree ORDER BY tuple()' })
  await client.command({ query: `INSERT INTO bench_ids SELECT generateUUIDv4() FROM numbers(${stored})` })
  for (const name of layouts) {
    const { table, create } = LAYOUTS[name]!
    if (create) await client.command({ query: create })
    if (table !== 'recent_ids_rocksdb') await client.command({ query: `SYSTEM STOP MERGES ${table}` })
    const cpu0 = cpuSnapshot(process.pid)
    // received_at by the engine's clock: the migrated table keeps rows of the last two hours.
    for (let p = 0; p < parts; p++) {
      await client.command({ query: `INSERT INTO ${table} SELECT event_id, now64(3) FROM bench_ids WHERE cityHash64(event_id) % ${parts} = ${p}` })
    }
    const cpu1 = cpuSnapshot(process.pid)
    const [[count]] = await rowsOf<[string]>(`SELECT count() FROM ${table}`)
    console.log(`${name}: ${count} ids in ${parts} inserts, ${((cpu1.totalUs - cpu0.totalUs) / Number(count)).toFixed(2)} us of CPU per id inserted`)
  }
  const present = (await rowsOf<[string]>(`SELECT toString(event_id) FROM bench_ids ORDER BY rand() LIMIT ${Math.max(...args.ids.split(',').map(Number))}`)).map((r) => r[0])
  console.log(`\nload ${loadavg()[0]!.toFixed(2)}; per lookup, median of ${args.rounds}: wall ms / CPU ms (every thread)`)
  console.log(['ids', ...layouts].map((h) => h.padStart(16)).join(''))
  for (const k of args.ids.split(',').map(Number)) {
    const wall = new Map<string, number[]>(layouts.map((l) => [l, []]))
    const cpu = new Map<string, number[]>(layouts.map((l) => [l, []]))
    for (let round = 0; round < Number(args.rounds); round++) {
      const stored9 = Math.floor(k * 0.9)
      const ids = [...present.slice(round * 7 % Math.max(1, present.length - stored9)).slice(0, stored9), ...Array.from({ length: k - stored9 }, () => randomUUID())]
      for (const name of layouts) {
        const c0 = cpuSnapshot(process.pid)
        const t0 = performance.now()
        // The query createStoredIds sends (stored-ids.ts).
        const found = await rowsOf<[string]>(`SELECT DISTINCT toString(event_id) FROM ${LAYOUTS[name]!.table} WHERE event_id IN {ids:Array(UUID)}`, { ids })
        wall.get(name)!.push(performance.now() - t0)
        cpu.get(name)!.push((cpuSnapshot(process.pid).totalUs - c0.totalUs) / 1000)
        if (found.length !== stored9) throw new Error(`${name}: found ${found.length} of ${stored9} stored ids`)
      }
    }
    console.log([String(k), ...layouts.map((l) => `${median(wall.get(l)!).toFixed(0)} / ${median(cpu.get(l)!).toFixed(0)}`)].map((c) => c.padStart(16)).join(''))
  }
  for (const name of layouts) {
    const table = LAYOUTS[name]!.table
    if (table === 'recent_ids_rocksdb') continue
    const [[n, pk]] = await rowsOf<[string, string]>(`SELECT count(), sum(primary_key_bytes_in_memory) FROM system.parts WHERE database = currentDatabase() AND table = '${table}' AND active`)
    console.log(`${name}: ${n} parts, primary key ${(Number(pk) / 2 ** 20).toFixed(1)} MiB in memory`)
  }
} finally {
  await storage.close()
  rmSync(dir, { recursive: true, force: true })
}
