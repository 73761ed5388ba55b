// Counts what reached ClickHouse per app, after the server has stopped: the embedded store is
// opened by this process once the server child has released it (chDB binds one data directory
// per process, DESIGN.md "Storage"); a ClickHouse server is simply queried.
import { openStorage } from '../src/storage/clickhouse/client.ts'

export interface StoreTarget {
  DATA_DIR: string
  CLICKHOUSE_URL?: string
  CLICKHOUSE_USER: string
  CLICKHOUSE_PASSWORD: string
  CLICKHOUSE_DATABASE: string
}

export interface Counts {
  events: Record<string, number>
  quarantine: Record<string, number>
}

export async function countStored(target: StoreTarget, dropDatabase: boolean): Promise<Counts> {
  const storage = await openStorage(target)
  try {
    const byApp = async (table: string) => {
      const rs = await storage.client.query({
        query: `SELECT app_id, count() AS n FROM ${table} GROUP BY app_id`,
        format: 'JSONEachRow',
      })
      const rows = await rs.json<{ app_id: string; n: string }>()
      return Object.fromEntries(rows.map((r) => [r.app_id, Number(r.n)]))
    }
    const counts = { events: await byApp('events'), quarantine: await byApp('quarantine') }
    if (dropDatabase) await storage.client.command({ query: `DROP DATABASE IF EXISTS ${target.CLICKHOUSE_DATABASE}` })
    return counts
  } finally {
    await storage.close()
  }
}
