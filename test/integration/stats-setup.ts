// Opens an embedded ClickHouse with the real migrations (the migrated template), seeds it (stats-seed.ts) and
// builds the reports routes over it, for the stats-* integration tests. One per test file:
// chDB binds one data directory per process.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAppRegistry, randomKey, type AppConfig } from '../../src/apps/apps.ts'
import { loadConfig } from '../../src/config.ts'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import { copyTemplate } from '../support/engine-template.ts'
import { createStatsRoutes } from '../../src/query/routes.ts'
import { insertSeed, seedWeek } from './stats-seed.ts'

export function statsApp(id: string, overrides: Partial<AppConfig> = {}): AppConfig {
  return { id, write_keys: [randomKey('wk')], read_keys: [randomKey('rk')], salt_rotation_hours: 24, honor_gpc: true, k_anonymity: 5, ...overrides }
}

export interface SeededStats {
  storage: Storage
  days: string[]
  shop: AppConfig
  other: AppConfig
  seeded: number
  get(path: string, key?: string): Promise<{ status: number; body: Record<string, unknown> }>
  rows<T = Record<string, unknown>>(sql: string, params?: Record<string, unknown>): Promise<T[]>
  close(): Promise<void>
}

export async function openSeededStats(): Promise<SeededStats> {
  const dir = mkdtempSync(join(tmpdir(), 'veil-stats-'))
  const config = loadConfig({ DATA_DIR: join(dir, 'clickhouse') })
  copyTemplate(config.DATA_DIR) // migrated already: migrate() below finds nothing to do
  const storage = await openStorage(config)
  await migrate(storage.client, { retentionMonths: config.RETENTION_MONTHS })
  const days = seedWeek()
  const shop = statsApp('shop')
  const other = statsApp('other', { k_anonymity: 3 })
  const seeded = await insertSeed(storage.client, shop.id, days)
  // Another tenant's events on the same days: none of them may show up in shop's reports.
  await insertSeed(storage.client, other.id, days)
  const routes = createStatsRoutes({ client: storage.client, apps: createAppRegistry([shop, other]), now: () => Date.parse(`${days[6]}T12:00:00Z`) })
  return {
    storage, days, shop, other, seeded,
    async get(path, key = shop.read_keys[0]!) {
      const res = await routes.request(path, { headers: key ? { Authorization: `Bearer ${key}` } : {} })
      const text = await res.text()
      return { status: res.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text } }
    },
    async rows<T>(sql: string, params: Record<string, unknown> = {}) {
      const rs = await storage.client.query({ query: sql, query_params: params, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })
      return rs.json<T>()
    },
    async close() {
      await storage.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
