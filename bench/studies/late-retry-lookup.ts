// What the check for late retries costs (storage/dedup/late-retries.ts): a lookup in events by
// app and day for the events of a group whose ts is older than recent_event_ids' window.
//
//   npx tsx bench/studies/late-retry-lookup.ts [--rows 3000000] [--days 30] [--names 10] [--ids 5,50,500] [--rounds 3]
//
// events is filled (with its views, as migrated) with --rows events of one app spread over
// --days days and --names names, in 30 inserts; each lookup asks for --ids events of one day
// (a queue that waited a day), nine in ten stored, through the query the check sends. Wall
// time and whole-process CPU (every thread; resolution 10 ms) per lookup, medians of --rounds.
import { mkdtempSync, rmSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openStorage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import { createLateRetryLookup } from '../../src/storage/dedup/late-retries.ts'
import type { EventRow } from '../../src/pipeline/types.ts'
import { cpuSnapshot } from '../cpu-split.ts'

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '3000000' },
    days: { type: 'string', default: '30' },
    names: { type: 'string', default: '10' },
    ids: { type: 'string', default: '5,50,500' },
    rounds: { type: 'string', default: '3' },
  },
})
const rows = Number(args.rows)
const days = Number(args.days)
const names = Number(args.names)
const DAY = 86_400_000

const dir = mkdtempSync(join(tmpdir(), 'veil-late-retries-'))
const storage = await openStorage({ DATA_DIR: dir, CLICKHOUSE_DATABASE: 'veil', CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: '' })
const client = storage.client
const rowsOf = async <T>(query: string, params?: Record<string, unknown>) =>
  (await client.query({ query, query_params: params, format: 'JSONCompactEachRow' })).json<T>()
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
try {
  await migrate(client, { retentionMonths: 24 })
  const now = Date.now()
  const c0 = cpuSnapshot(process.pid)
  const t0 = performance.now()
  for (let p = 0; p < 30; p++) {
    await client.command({
      query: `INSERT INTO events (app_id, event_id, name, ts, received_at, user_hash)
        SELECT 'bench', generateUUIDv4(number), concat('event_', toString(number % ${names})),
               fromUnixTimestamp64Milli(toInt64(${now} - (number % ${days}) * ${DAY} - ${p * 1000})),
               fromUnixTimestamp64Milli(toInt64(${now} - (number % ${days}) * ${DAY} - ${p * 1000})), toString(number % 5000)
        FROM numbers(${Math.floor(rows / 30)})`,
    })
  }
  const c1 = cpuSnapshot(process.pid)
  console.log(`events: ${rows} rows over ${days} days and ${names} names in ${((performance.now() - t0) / 1000).toFixed(0)} s, ${((c1.totalUs - c0.totalUs) / rows).toFixed(1)} us of CPU per row (views included)`)
  const lookup = createLateRetryLookup({ client, now: () => now })
  console.log(`\nload ${loadavg()[0]!.toFixed(2)}; per lookup, median of ${args.rounds}: wall ms / CPU ms (every thread)`)
  for (const k of args.ids.split(',').map(Number)) {
    const wall: number[] = []
    const cpu: number[] = []
    for (let round = 0; round < Number(args.rounds); round++) {
      const day = 1 + ((round * 7) % (days - 1))
      const stored9 = Math.floor(k * 0.9)
      const present = await rowsOf<[string, string, string]>(
        `SELECT toString(event_id), name, toString(toUnixTimestamp64Milli(ts)) FROM events WHERE app_id = 'bench' AND toDate(ts) = toDate(fromUnixTimestamp64Milli(toInt64(${now - day * DAY}))) ORDER BY rand() LIMIT ${stored9}`,
      )
      const group = [
        ...present.map(([id, name, ts]) => ['bench', id, name, Number(ts)] as unknown as EventRow),
        ...Array.from({ length: k - stored9 }, (_, i) => ['bench', randomUUID(), `event_${i % names}`, now - day * DAY] as unknown as EventRow),
      ]
      const s0 = cpuSnapshot(process.pid)
      const w0 = performance.now()
      const found = await lookup(group)
      wall.push(performance.now() - w0)
      cpu.push((cpuSnapshot(process.pid).totalUs - s0.totalUs) / 1000)
      if (found.size !== stored9) throw new Error(`found ${found.size} of ${stored9} stored ids`)
    }
    console.log(`${String(k).padStart(6)} ids: ${median(wall).toFixed(0)} ms / ${median(cpu).toFixed(0)} ms`)
  }
} finally {
  await storage.close()
  rmSync(dir, { recursive: true, force: true })
}
