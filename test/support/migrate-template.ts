// Child process of test/support/engine-template.ts: migrates an empty embedded store under the
// directory given, then writes what it holds (migrations, tables) to manifest.json beside it.
// A process of its own because chDB binds one data directory per process (DESIGN.md "Storage").
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../src/config.ts'
import { openStorage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import type { TemplateManifest } from './engine-template.ts'

const root = process.argv[2]!
const config = loadConfig({ DATA_DIR: join(root, 'data'), LOG_LEVEL: 'silent' })
const storage = await openStorage({ ...config, STORED_IDS_FILTER_BYTES: 0 })
try {
  const applied = await migrate(storage.client, { retentionMonths: config.RETENTION_MONTHS })
  const rs = await storage.client.query({
    query: 'SELECT name, engine, create_table_query FROM system.tables WHERE database = currentDatabase() ORDER BY name',
    format: 'JSONEachRow',
  })
  const tables = await rs.json<TemplateManifest['tables'][number]>()
  const manifest: TemplateManifest = { applied, retentionMonths: config.RETENTION_MONTHS, tables }
  writeFileSync(join(root, 'manifest.json'), JSON.stringify(manifest, null, 1))
} finally {
  await storage.close()
}
