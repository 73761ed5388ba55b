// The migrated template that engine tests copy (test/support/engine-template.ts): a server
// started on a copy applies no migration, and the copy holds every migration and every table
// of the template, table for table, as the migration left them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { startTestServer, tempDir, type TestServer } from '../support/server.ts'
import { copyTemplate, templateManifest, type TemplateManifest } from '../support/engine-template.ts'
import { migrate, readMigrations } from '../../src/storage/schema/migrate.ts'

let s: TestServer
let manifest: TemplateManifest | undefined
let startedAt: number
beforeAll(async () => {
  manifest = templateManifest()
  startedAt = Date.now()
  s = await startTestServer({ listen: false })
})
afterAll(() => s?.stop())

describe('the migrated template', () => {
  it('is made for this run and holds every migration', () => {
    expect(manifest, 'the globalSetup of vitest.config.ts sets the template').toBeDefined()
    expect(manifest!.applied).toEqual(readMigrations({ retentionMonths: 24 }).map((m) => m.version))
    expect(manifest!.applied.length).toBeGreaterThanOrEqual(17)
  })

  it('spares the server every migration: none applied at start, none pending after', async () => {
    // A migration run records each version with its time (migrate.ts): none since this file began.
    const [since] = await s.query<{ n: string }>('SELECT count() AS n FROM schema_migrations WHERE applied_at >= fromUnixTimestamp64Milli({t:Int64})', { t: startedAt })
    expect(Number(since!.n)).toBe(0)
    expect(await migrate(s.veil.storage.client, { retentionMonths: 24 })).toEqual([])
    const recorded = await s.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
    expect(recorded.map((r) => Number(r.version))).toEqual(manifest!.applied)
  })

  it('is copied whole: the same tables with the same definitions, each readable', async () => {
    const tables = await s.query<TemplateManifest['tables'][number]>(
      'SELECT name, engine, create_table_query FROM system.tables WHERE database = currentDatabase() ORDER BY name',
    )
    expect(tables).toEqual(manifest!.tables)
    // The bookkeeping tables hold the record of migrations (above); every other starts empty.
    const bookkeeping = ['schema_migrations', 'schema_migrations_lock']
    for (const t of tables.filter((t) => t.engine.endsWith('MergeTree') && !bookkeeping.includes(t.name))) {
      const [row] = await s.query<{ n: string }>(`SELECT count() AS n FROM ${t.name}`)
      expect(Number(row!.n), t.name).toBe(0)
    }
  })

  it('is copied only into a data directory that does not exist yet', () => {
    const dir = join(tempDir('veil-template-copy-'), 'clickhouse')
    expect(copyTemplate(dir)).toBe(true)
    expect(existsSync(join(dir, 'metadata'))).toBe(true)
    expect(copyTemplate(dir)).toBe(false)
  })
})
