// What the embedded ClickHouse costs per stored event: CPU of this process (all the engine's
// threads, background merges included) while batches of rows go into the events table with its
// materialized views, in the formats chDB's raw insert accepts. Together with bench/handler.ts
// this splits an event's cost between the server's own work and the engine's.
//
//   npx tsx bench/studies/insert-cost.ts [--rows 20000] [--inserts 10] [--without-views] [--agg-window 0] [--no-fsync]
//                                        [--doors raw:JSONCompactEachRow,file:JSONCompactEachRow,file:RowBinary,file:Native,raw:TabSeparated]
//
// A door is how the rows reach the engine: `raw` is chDB's rawInsert (the bytes as the data of
// INSERT ... FORMAT; text formats only), `file` is INSERT INTO events SELECT * FROM file(path, fmt)
// of a file written beforehand (the spool's way). Native bodies are made by the engine itself
// from the same rows (there is no JS encoder for it), so only the engine side is measured.
//
// Inserts carry a fresh insert_deduplication_token and deduplicate_blocks_in_dependent_materialized_views
// as the server's do; --agg-window sets the aggregates' deduplication window (sql/0030 sets
// 10000; 0 measures without the views' deduplication, docs/durability.md); --no-fsync turns off
// the fsync of inserted parts that sql/0030 turns on.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { EVENT_COLUMNS, type EventRow } from '../../src/pipeline/types.ts'
import { benchRows } from './event-rows.ts'
import { openStorage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import { encodeRows, JSON_ROWS_FORMAT } from '../../src/storage/rows/rows-format.ts'
import { EVENT_ROWS } from '../../src/storage/rows/event-rows.ts'
import { quoteSql } from '../../src/storage/clickhouse/file-insert.ts'
import { eventsFileInsert } from './file-insert.ts'
import { writeFileSync } from 'node:fs'

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '20000' },
    inserts: { type: 'string', default: '10' },
    /** Drops the materialized views first: the cost of the events table alone. */
    'without-views': { type: 'boolean', default: false },
    /** non_replicated_deduplication_window of the agg_* tables (0: no deduplication in the views). */
    'agg-window': { type: 'string' },
    /** Turns off the fsync of each inserted part (sql/0030 turns it on) to measure what it costs. */
    'no-fsync': { type: 'boolean', default: false },
    doors: { type: 'string', default: 'raw:JSONCompactEachRow,file:JSONCompactEachRow,file:RowBinary,file:Native' },
  },
})
const perInsert = Number(args.rows)
const inserts = Number(args.inserts)

/** TabSeparated, for comparison only: escapes \ tab newline and ', maps as ClickHouse literals. */
const TSV_SPECIAL = /[\\\t\n\r']/g
const tsv = (s: string) => s.replace(TSV_SPECIAL, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`))
const tsvMap = (m: Record<string, string | number>) =>
  `{${Object.entries(m).map(([k, v]) => `'${tsv(k)}':${typeof v === 'number' ? v : `'${tsv(v)}'`}`).join(',')}}`
function encodeTsv(rows: readonly EventRow[]): Buffer {
  let text = ''
  for (const r of rows) {
    const cells = r.map((v, i) =>
      i === 3 || i === 4 ? String((v as number) / 1000) : typeof v === 'object' ? tsvMap(v) : typeof v === 'string' ? tsv(v) : String(v),
    )
    text += cells.join('\t') + '\n'
  }
  return Buffer.from(text, 'utf8')
}


const dir = mkdtempSync(join(tmpdir(), 'veil-insert-cost-'))
const storage = await openStorage({ DATA_DIR: dir, CLICKHOUSE_DATABASE: 'veil', CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: '' })
try {
  await migrate(storage.client, { retentionMonths: 24 })
  const views = await storage.client.query({
    query: "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'",
    format: 'JSONEachRow',
  })
  const viewNames = (await views.json<{ name: string }>()).map((v) => v.name)
  if (args['without-views']) for (const name of viewNames) await storage.client.command({ query: `DROP VIEW ${name}` })
  if (args['agg-window'] !== undefined) {
    const aggs = await (await storage.client.query({ query: "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'agg\\_%' AND engine LIKE '%MergeTree'", format: 'JSONEachRow' })).json<{ name: string }>()
    for (const { name } of aggs) await storage.client.command({ query: `ALTER TABLE ${name} MODIFY SETTING non_replicated_deduplication_window = ${Number(args['agg-window'])}` })
  }
  if (args['no-fsync']) {
    await storage.client.command({ query: 'ALTER TABLE events MODIFY SETTING fsync_after_insert = 0, fsync_part_directory = 0' })
  }
  let n = 0
  const settings = () => ({ insert_deduplication_token: `bench-${process.pid}-${++n}`, deduplicate_blocks_in_dependent_materialized_views: 1 })
  const fileInsert = eventsFileInsert(storage.client)
  let files = 0
  const toFile = (body: Buffer) => {
    const path = join(dir, `body-${++files}`)
    writeFileSync(path, body)
    return path
  }
  /** Native from the engine: the JSON body re-encoded by ClickHouse itself. */
  async function nativeOf(rows: EventRow[]): Promise<Buffer> {
    const src = toFile(encodeRows(rows))
    const out = join(dir, `native-${files}`)
    await storage.client.command({ query: `INSERT INTO FUNCTION file('${out}', 'Native') SELECT * FROM file('${src}', 'JSONCompactEachRow', ${quoteSql(fileInsert.structure)})` })
    const { readFileSync } = await import('node:fs')
    return readFileSync(out)
  }
  type Door = { encode(rows: EventRow[]): Buffer | Promise<Buffer>; insert(body: Buffer): Promise<void>; jsEncode?: (rows: EventRow[]) => Buffer }
  const DOORS: Record<string, Door> = {
    'raw:JSONCompactEachRow': { encode: encodeRows, jsEncode: encodeRows, insert: (body) => storage.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format: JSON_ROWS_FORMAT, body, settings: settings() }) },
    'raw:TabSeparated': { encode: encodeTsv, jsEncode: encodeTsv, insert: (body) => storage.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format: 'TabSeparated' as typeof JSON_ROWS_FORMAT, body, settings: settings() }) },
    'file:JSONCompactEachRow': { encode: encodeRows, jsEncode: encodeRows, insert: (body) => fileInsert.insert(toFile(body), 'JSONCompactEachRow', settings()) },
    'file:RowBinary': { encode: (r) => EVENT_ROWS.encode(r), jsEncode: (r) => EVENT_ROWS.encode(r), insert: (body) => fileInsert.insert(toFile(body), 'RowBinary', settings()) },
    'file:Native': { encode: nativeOf, insert: (body) => fileInsert.insert(toFile(body), 'Native', settings()) },
  }
  const doors = args.doors.split(',').map((d) => {
    if (!DOORS[d]) throw new Error(`unknown door ${d}; known: ${Object.keys(DOORS).join(', ')}`)
    return [d, DOORS[d]] as const
  })
  // Every door must store the same thing, or the comparison means nothing.
  const probe = benchRows(3, Date.now())
  for (const [i, [, door]] of doors.entries()) await door.insert(await door.encode(probe.map((r) => [`probe_${i}`, ...r.slice(1)] as EventRow)))
  const rs = await storage.client.query({
    query: "SELECT app_id, groupArray(toString(tuple(* EXCEPT app_id))) AS rows FROM (SELECT * FROM events WHERE app_id LIKE 'probe\\_%' ORDER BY event_id) GROUP BY app_id",
    format: 'JSONEachRow',
  })
  const stored = await rs.json<{ app_id: string; rows: string[] }>()
  if (stored.length !== doors.length || stored.some((s) => JSON.stringify(s.rows) !== JSON.stringify(stored[0]!.rows))) throw new Error('the doors store different rows')

  const into = args['without-views'] ? 'events alone' : `events and its ${viewNames.length} materialized views`
  console.log(`${inserts} inserts of ${perInsert} rows into ${into}, per door (2 rounds)`)
  for (const round of [1, 2]) {
    for (const [name, door] of doors) {
      const bodies: Buffer[] = []
      for (let i = 0; i < inserts; i++) bodies.push(await door.encode(benchRows(perInsert, Date.now())))
      // Encoding runs on the JS thread alone: its wall time is its CPU time.
      let encodeUs = NaN
      if (door.jsEncode) {
        const sample = benchRows(perInsert, Date.now())
        door.jsEncode(sample)
        const e0 = performance.now()
        door.jsEncode(sample)
        encodeUs = (performance.now() - e0) * 1000
      }
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      for (const body of bodies) await door.insert(body)
      const wallMs = performance.now() - t0
      const cpu = process.cpuUsage(cpu0)
      const rows = inserts * perInsert
      const bytes = bodies.reduce((s, b) => s + b.length, 0) / rows
      console.log(
        `round ${round}  ${name.padEnd(24)}  engine CPU ${((cpu.user + cpu.system) / rows).toFixed(1).padStart(5)} us/row` +
          `  wall ${((wallMs * 1000) / rows).toFixed(1).padStart(5)} us/row  ${((wallMs / inserts)).toFixed(0).padStart(4)} ms/insert` +
          `  encoding in JS ${(encodeUs / perInsert).toFixed(2)} us/row  ${bytes.toFixed(0)} B/row`,
      )
    }
  }
} finally {
  await storage.close()
  rmSync(dir, { recursive: true, force: true })
}
