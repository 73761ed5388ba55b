// Fills `recent_event_ids` of a store with random ids received now (by the engine's clock), as
// two hours of traffic leave it, before a server starts on it: `npm run bench --
// --seed-recent-ids N` runs this in a child of its own (chDB holds a data directory until its
// process exits), so the load runs against a full table instead of one that starts empty.
//
//   npx tsx bench/seed-recent-ids.ts <DATA_DIR> <ids> [<database>]
// With CLICKHOUSE_URL (and CLICKHOUSE_USER, CLICKHOUSE_PASSWORD) it seeds that server's database.
import { openStorage } from '../src/storage/clickhouse/client.ts'
import { migrate } from '../src/storage/schema/migrate.ts'

const [dataDir, idsArg, database = 'veil'] = process.argv.slice(2)
const ids = Number(idsArg)
if (!dataDir || !Number.isInteger(ids) || ids < 0) {
  console.error('usage: npx tsx bench/seed-recent-ids.ts <DATA_DIR> <ids> [<database>]')
  process.exit(2)
}
const storage = await openStorage({
  DATA_DIR: dataDir,
  CLICKHOUSE_URL: process.env.CLICKHOUSE_URL,
  CLICKHOUSE_USER: process.env.CLICKHOUSE_USER ?? 'default',
  CLICKHOUSE_PASSWORD: process.env.CLICKHOUSE_PASSWORD ?? '',
  CLICKHOUSE_DATABASE: database,
})
try {
  await migrate(storage.client, { retentionMonths: 24 })
  // In inserts of a million ids: several parts, as merges leave a busy table.
  for (let left = ids; left > 0; left -= 1_000_000) {
    await storage.client.command({ query: `INSERT INTO recent_event_ids SELECT generateUUIDv4(), now64(3) FROM numbers(${Math.min(left, 1_000_000)})` })
  }
  const rs = await storage.client.query({ query: 'SELECT count() FROM recent_event_ids', format: 'JSONCompactEachRow' })
  const [[count]] = await rs.json<[string]>()
  console.error(`[bench] recent_event_ids holds ${count} ids`)
} finally {
  await storage.close()
}
