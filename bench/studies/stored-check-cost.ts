// What the stored-ids check (sql/0033, docs/durability.md "several nodes") costs per fed row on
// the embedded engine, and where: whole-process CPU (every thread) and the main thread's share,
// for spool feeds of RowBinary rows a part of which was stored already.
//
//   npx tsx bench/studies/stored-check-cost.ts [--rows 50000] [--feeds 5] [--rounds 3] [--stored 300000] [--dup 0.01]
//                                              [--variants none,lookup,ids-file,same-file,filter]
//
// Variants (run in turn, the order rotated each round, so each sees the table grow alike; a
// first round warms the JIT up and is not counted):
//   none       the insert alone, no check (what DEDUP_STORE_CHECK=false does)
//   lookup     the check before the insert, as the remote-server path does it: the ids as text
//              (eventIdsOf), looked up in queries of 5,000 ids (stored-ids.ts), the stored rows
//              cut out of the body (withoutStored), then the insert
//   ids-file   inside the insert (src/storage/clickhouse/file-insert.ts): the 16 raw id bytes of
//              each row copied into a second file (the door's checkIds), the lookup's set read from it
//   same-file  inside the insert, the set read from the body's own file a second time
//   filter     the server's path once its filter of stored ids is loaded (stored-ids-filter.ts):
//              inside the insert, only the ids the filter may hold are looked up (none: no check)
//   filter-lookup  the same ids looked up in a query before the insert and cut out of the body
// recent_event_ids holds --stored ids received now (by the engine's clock) before the first run;
// each feed repeats --dup of its rows from those. Every run is checked: stored rows are dropped
// by the checking variants, and every fresh row is stored once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadavg } from 'node:os'
import { EVENT_COLUMNS, type EventRow } from '../../src/pipeline/types.ts'
import { benchRows } from './event-rows.ts'
import { cpuSnapshot } from '../cpu-split.ts'
import { openStorage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import { EVENT_ROWS } from '../../src/storage/rows/event-rows.ts'
import { eventIdBytes, eventIdsOf } from '../../src/storage/rows/rows-format.ts'
import { createFileDoor } from '../../src/storage/clickhouse/file-insert.ts'
import { createStoredIds, loadStoredIds, RECENT_IDS_MS, withoutStored } from '../../src/storage/dedup/stored-ids.ts'
import { createStoredIdsFilter } from '../../src/storage/dedup/stored-ids-filter.ts'
import { eventsFileInsert } from './file-insert.ts'

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '50000' },
    feeds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    stored: { type: 'string', default: '300000' },
    dup: { type: 'string', default: '0.01' },
    variants: { type: 'string', default: 'none,lookup,ids-file,same-file' },
  },
})
const perFeed = Number(args.rows)
const feeds = Number(args.feeds)
const dupRows = Math.round(perFeed * Number(args.dup))

const dir = mkdtempSync(join(tmpdir(), 'veil-stored-check-'))
const storage = await openStorage({ DATA_DIR: dir, CLICKHOUSE_DATABASE: 'veil', CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: '' })
const client = storage.client
const scalar = async (query: string) => Number((await (await client.query({ query, format: 'JSONCompactEachRow' })).json<[string]>())[0]![0])
try {
  await migrate(client, { retentionMonths: 24 })
  // recent_event_ids keeps rows received within the engine's last hours: stamp with its clock.
  const engineNow = () => scalar('SELECT toUnixTimestamp64Milli(now64(3))')
  const fileInsert = eventsFileInsert(client)
  let n = 0
  const settings = () => ({ insert_deduplication_token: `bench-${process.pid}-${++n}`, deduplicate_blocks_in_dependent_materialized_views: 1 })
  const stored: EventRow[] = []
  for (let left = Number(args.stored); left > 0; left -= 100_000) {
    const rows = benchRows(Math.min(left, 100_000), await engineNow())
    stored.push(...rows.slice(0, 20_000))
    const path = join(dir, `stored-${n}.bin`)
    writeFileSync(path, EVENT_ROWS.encode(rows))
    await fileInsert.insert(path, 'RowBinary', settings())
  }
  // The filter of stored ids (stored-ids-filter.ts), loaded as the server loads it at start.
  const filter = createStoredIdsFilter({ windowMs: RECENT_IDS_MS, maxBytes: 256 * 2 ** 20 })
  if (args.variants.split(',').some((v) => v.startsWith('filter'))) {
    const cpu0 = cpuSnapshot(process.pid)
    const t0 = performance.now()
    const loaded = await loadStoredIds(client, filter, join(dir, 'recent-ids.bin'))
    const cpu1 = cpuSnapshot(process.pid)
    console.log(`filter: ${loaded} ids loaded in ${(performance.now() - t0).toFixed(0)} ms (CPU ${((cpu1.totalUs - cpu0.totalUs) / 1000).toFixed(0)} ms, main thread ${((cpu1.mainUs - cpu0.mainUs) / 1000).toFixed(0)} ms), ${(filter.stats().bytes / 2 ** 20).toFixed(1)} MiB`)
  }
  const plain = createFileDoor(client, join(dir, 'feed'))
  const storedAmong = createStoredIds(client)
  const base = { table: 'events', columns: EVENT_COLUMNS }
  type Variant = (body: Buffer, rows: number, token: Record<string, string | number>) => Promise<void>
  const VARIANTS: Record<string, Variant> = {
    none: (body, rows, s) => plain.insert({ ...base, body, rows, settings: s }),
    lookup: async (body, rows, s) => {
      const found = await storedAmong(eventIdsOf(body, 'RowBinary'))
      if (found.size > 0) ({ body, rows } = withoutStored(body, found, 'RowBinary'))
      if (rows > 0) await plain.insert({ ...base, body, rows, settings: s })
    },
    // Every id of the body copied into the door's second file (checkIds), on this thread.
    'ids-file': (body, rows, s) => plain.insert({ ...base, body, rows, settings: s, skipStored: true, checkIds: eventIdBytes(body, rows) }),
    'same-file': (body, rows, s) => plain.insert({ ...base, body, rows, settings: s, skipStored: true }),
    // What the server does on the embedded engine once its filter is loaded (boot/start-veil.ts).
    filter: async (body, rows, s) => {
      const maybe = await filter.probableThenAdd(body)
      await plain.insert({ ...base, body, rows, settings: s, ...(maybe.length > 0 ? { skipStored: true, checkIds: maybe } : {}) })
    },
    // The same with the probable ids looked up in a query of their own, then cut out of the body.
    'filter-lookup': async (body, rows, s) => {
      const all = body
      const maybe = filter.probableInBody(body)
      const found = maybe.length > 0 ? await storedAmong(maybe) : undefined
      if (found?.size) ({ body, rows } = withoutStored(body, found, 'RowBinary'))
      if (rows > 0) await plain.insert({ ...base, body, rows, settings: s })
      await filter.addBody(all)
    },
  }
  const names = args.variants.split(',')
  for (const v of names) if (!VARIANTS[v]) throw new Error(`unknown variant ${v}; known: ${Object.keys(VARIANTS).join(', ')}`)

  console.log(`${feeds} feeds of ${perFeed} RowBinary rows (${dupRows} of each stored already) into events and its views; recent_event_ids starts with ${args.stored} ids`)
  console.log('round  variant     all threads us/row  main thread us/row  wall ms/feed  load')
  const results = new Map<string, { all: number[]; main: number[] }>()
  // Round 0 warms up (the JIT compiles the JavaScript side of each variant) and is not printed.
  for (let round = 0; round <= Number(args.rounds); round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]!
      const app = `${name}-${round}`
      const now = await engineNow()
      let dupAt = 0
      const bodies: Buffer[] = []
      for (let f = 0; f < feeds; f++) {
        const rows = benchRows(perFeed, now).map((r) => Object.assign(r, { 0: app }))
        // Rows stored already (a retry another node took) spread through the feed.
        for (let i = 0; i < dupRows; i++) rows[Math.floor((i * perFeed) / dupRows)] = Object.assign([...stored[dupAt++ % stored.length]!], { 0: `${app}-dup` }) as EventRow
        bodies.push(EVENT_ROWS.encode(rows))
      }
      const cpu0 = cpuSnapshot(process.pid)
      const t0 = performance.now()
      for (const body of bodies) await VARIANTS[name]!(body, perFeed, settings())
      const wall = performance.now() - t0
      const cpu1 = cpuSnapshot(process.pid)
      const rows = feeds * perFeed
      const all = (cpu1.totalUs - cpu0.totalUs) / rows
      const main = (cpu1.mainUs - cpu0.mainUs) / rows
      const fresh = await scalar(`SELECT count() FROM events WHERE app_id = '${app}'`)
      const dups = await scalar(`SELECT count() FROM events WHERE app_id = '${app}-dup'`)
      const wantDups = name === 'none' ? feeds * dupRows : 0
      if (fresh !== feeds * (perFeed - dupRows) || dups !== wantDups) throw new Error(`${name}: stored ${fresh} fresh and ${dups} stored-already rows, expected ${feeds * (perFeed - dupRows)} and ${wantDups}`)
      if (round === 0) continue
      const r = results.get(name) ?? { all: [], main: [] }
      r.all.push(all)
      r.main.push(main)
      results.set(name, r)
      console.log(`${String(round).padEnd(5)}  ${name.padEnd(10)}  ${all.toFixed(2).padStart(18)}  ${main.toFixed(2).padStart(18)}  ${(wall / feeds).toFixed(0).padStart(12)}  ${loadavg()[0]!.toFixed(1)}`)
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  console.log('medians: ' + [...results].map(([k, r]) => `${k} ${median(r.all).toFixed(2)} / ${median(r.main).toFixed(2)}`).join(', ') + ' (all threads / main thread, us per row)')
} finally {
  await storage.close()
  rmSync(dir, { recursive: true, force: true })
}
