// What one spool feed costs the embedded engine in memory and CPU, per setting (docs/operations.md
// "Memory"): each variant in a child process of its own (one engine per process), interleaved,
// feeding RowBinary through the spool's door with a deduplication token, as the server does.
//
//   npx tsx bench/studies/engine-memory.ts [--rows 100000] [--feeds 6] [--rounds 2]
//        [--variants 'default;ENGINE_INSERT_BLOCK_ROWS=16384;ENGINE_MALLOC_CONF=dirty_decay_ms:0;ROWS=50000']
//
// A variant is `default` or space-separated NAME=value config settings; ROWS=n feeds n rows a
// feed instead of --rows (the spool's SPOOL_INSERT_ROWS), with as many feeds as make the same rows.
// Per variant: the resident set before the feeds (engine idle, tables made), the highest peak of
// one feed over the resident set before it (VmHWM after clear_refs 5), the resident set 1 s after
// the last feed (what the allocator kept), and the process's CPU per row (all threads).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    feeds: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '2' },
    variants: { type: 'string', default: 'default;ENGINE_INSERT_BLOCK_ROWS=16384;ENGINE_MALLOC_CONF=dirty_decay_ms:1000' },
    child: { type: 'boolean', default: false },
  },
})

const mb = (kb: number) => Math.round(kb / 1024)
function statusKb(field: string): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0)
}

if (args.child) {
  const { loadConfig } = await import('../../src/config.ts')
  const { openStorage } = await import('../../src/storage/clickhouse/client.ts')
  const { migrate } = await import('../../src/storage/schema/migrate.ts')
  const { EVENT_ROWS } = await import('../../src/storage/rows/event-rows.ts')
  const { EVENT_COLUMNS } = await import('../../src/pipeline/types.ts')
  const { benchRows } = await import('./event-rows.ts')
  const dir = mkdtempSync(join(tmpdir(), 'veil-engine-memory-'))
  const env = JSON.parse(process.env.ENGINE_MEMORY_VARIANT ?? '{}') as Record<string, string>
  const storage = await openStorage(loadConfig({ DATA_DIR: join(dir, 'ch'), ...env }))
  try {
    await migrate(storage.client, { retentionMonths: 24 })
    const rows = Number(args.rows)
    const bodies = Array.from({ length: Number(args.feeds) }, () => EVENT_ROWS.encode(benchRows(rows, Date.now())))
    // The rows' objects are garbage now; collected, they do not blur the engine's figures.
    ;(globalThis as { gc?: () => void }).gc?.()
    const idle = statusKb('VmRSS')
    let peak = 0
    const cpu0 = process.cpuUsage()
    for (const [i, body] of bodies.entries()) {
      const before = statusKb('VmRSS')
      writeFileSync('/proc/self/clear_refs', '5')
      await storage.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format: 'RowBinary', body, settings: { insert_deduplication_token: `engine-memory-${i}`, deduplicate_blocks_in_dependent_materialized_views: 1 } })
      peak = Math.max(peak, statusKb('VmHWM') - before)
    }
    const cpu = process.cpuUsage(cpu0)
    await new Promise((r) => setTimeout(r, 1000))
    const after = statusKb('VmRSS')
    const usPerRow = (cpu.user + cpu.system) / (rows * bodies.length)
    process.stdout.write(JSON.stringify({ idle: mb(idle), feedPeak: mb(peak), after: mb(after), hwm: mb(statusKb('VmHWM')), usPerRow }) + '\n')
  } finally {
    await storage.close()
    rmSync(dir, { recursive: true, force: true })
  }
} else {
  const self = fileURLToPath(import.meta.url)
  const variants = args.variants.split(';').map((v) => v.trim())
  console.log(`${args.feeds} feeds of ${args.rows} rows per run; ${args.rounds} rounds, variants interleaved`)
  console.log('variant | load1 | idle MB | feed peak over RSS, MB | last feed peak over idle, MB | RSS 1 s after, MB | engine µs/row')
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const v of variants) {
      const env: Record<string, string> = v === 'default' ? {} : Object.fromEntries(v.split(/\s+/).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
      const rows = Number(env.ROWS ?? args.rows)
      delete env.ROWS
      const feeds = Math.max(1, Math.round((Number(args.rows) * Number(args.feeds)) / rows))
      const load = loadavg()[0]!.toFixed(1)
      const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', '--rows', String(rows), '--feeds', String(feeds)], {
        env: { ...process.env, ENGINE_MEMORY_VARIANT: JSON.stringify(env) },
        encoding: 'utf8',
      })
      const r = JSON.parse(out.trim().split('\n').at(-1)!) as { idle: number; feedPeak: number; after: number; hwm: number; usPerRow: number }
      console.log(`${v} | ${load} | ${r.idle} | ${r.feedPeak} | ${r.hwm - r.idle} | ${r.after} | ${r.usPerRow.toFixed(2)}`)
    }
  }
}
