// Nodes that start together must apply each migration once, including statements that are not
// idempotent (a backfill INSERT). Several migration runs against one real engine, at once.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import { LOCK_TABLE, MigrationLockTimeoutError, withMigrationLock } from '../../src/storage/schema/migration-lock.ts'
import { tempDir } from '../support/server.ts'

let storage: Storage
const rows = async <T>(query: string) => (await storage.client.query({ query, format: 'JSONEachRow' })).json<T>()

beforeAll(async () => {
  storage = await openStorage({ DATA_DIR: join(tempDir(), 'ch'), CLICKHOUSE_DATABASE: 'veil', CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: '' })
})
afterAll(() => storage?.close())

function folder(files: Record<string, string>): string {
  const dir = join(tempDir('veil-lock-'), 'sql')
  mkdirSync(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

describe('migration lock', () => {
  it('applies a non-idempotent migration once when four runs start together', async () => {
    const dir = folder({
      '0001_t.sql': 'CREATE TABLE IF NOT EXISTS lock_t (x UInt8) ENGINE = MergeTree ORDER BY x;\n',
      '0002_backfill.sql': 'INSERT INTO lock_t VALUES (1);\n',
    })
    const runs = await Promise.all([1, 2, 3, 4].map(() => migrate(storage.client, { retentionMonths: 24, dir })))
    expect(runs.flat().sort()).toEqual([1, 2])
    expect(await rows('SELECT x FROM lock_t')).toEqual([{ x: 1 }])
    expect(await rows('SELECT version, toUInt8(count()) AS n FROM schema_migrations GROUP BY version ORDER BY version')).toEqual([
      { version: 1, n: 1 },
      { version: 2, n: 1 },
    ])
  })

  it('makes a second holder wait, and lets it give up with a clear error', async () => {
    let release!: () => void
    const held = withMigrationLock(storage.client, () => new Promise<void>((r) => (release = r)))
    // Bounded wait until the first holder has the lock.
    for (let i = 0; i < 200 && !release; i++) await new Promise((r) => setTimeout(r, 25))
    expect(release).toBeDefined()
    await expect(withMigrationLock(storage.client, async () => 'never', { waitMs: 300, pollMs: 50 })).rejects.toThrow(MigrationLockTimeoutError)
    release()
    await held
    expect(await withMigrationLock(storage.client, async () => 'after release')).toBe('after release')
  })

  it('takes over a lock whose holder died (its lease ran out)', async () => {
    const [{ g }] = await rows<{ g: string }>(`SELECT toString(max(generation) + 1) AS g FROM ${LOCK_TABLE}`)
    await storage.client.command({ query: `INSERT INTO ${LOCK_TABLE} VALUES (${g}, 'dead-node', 0, now64(3) - INTERVAL 1 MINUTE)` })
    expect(await withMigrationLock(storage.client, async () => 'taken over', { waitMs: 5_000 })).toBe('taken over')
  })
})
