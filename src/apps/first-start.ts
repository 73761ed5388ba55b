// "First start": the only start allowed to write a demo app when APPS_FILE is missing. A store
// that has never been migrated has never served, so no sender can hold a key of its apps.
import type { ClickHouseClient } from '@clickhouse/client'

/**
 * True when the store has no applied migration yet. Asked before migrate() runs. Not "no data
 * directory" (chDB creates it on open, and a ClickHouse server has none here) nor "no events"
 * (a node can hand out keys and get no traffic for days): the record of migrations is written by
 * the very start that writes the demo app, so every later start finds it, empty tables or not.
 */
export async function isFirstStart(client: ClickHouseClient): Promise<boolean> {
  const rs = await client.query({
    query: "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'schema_migrations'",
    format: 'JSONEachRow',
  })
  const [table] = await rs.json<{ n: string | number }>()
  if (Number(table?.n ?? 0) === 0) return true
  const versions = await client.query({ query: 'SELECT count() AS n FROM schema_migrations', format: 'JSONEachRow' })
  const [row] = await versions.json<{ n: string | number }>()
  return Number(row?.n ?? 0) === 0
}
