// sql/0070 on a store that already holds events: every aggregate gets the organisations of its
// stored cells (orgs_upto), and no count of people or events changes (docs/reports.md
// "Minimum organisations per cell").
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'

const SQL = join(import.meta.dirname, '../../sql')
let dir = ''
let storage: Storage

const rows = async <T>(query: string) => (await storage.client.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json<T>()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'veil-orgs-'))
  // The migrations before 0070, then events stored under them.
  const before = join(dir, 'sql-before')
  cpSync(SQL, before, { recursive: true })
  for (const f of readdirSync(before)) if (f >= '0070') rmSync(join(before, f))
  storage = await openStorage(loadConfig({ DATA_DIR: join(dir, 'clickhouse') }))
  await migrate(storage.client, { retentionMonths: 24, dir: before })
  const now = Date.now()
  const values = Array.from({ length: 12 }, (_, i) =>
    `('shop', generateUUIDv4(), '${i % 2 ? 'page_view' : 'login'}', fromUnixTimestamp64Milli(${now - i * 1000}), fromUnixTimestamp64Milli(${now}), 'user${'abcdefghijkl'[i]}', 'org${'abc'[i % 3]}', 1, map('path', '/p'))`)
  await storage.client.command({
    query: `INSERT INTO events (app_id, event_id, name, ts, received_at, user_hash, org_hash, salt_period, props) VALUES ${values.join(', ')}`,
  })
  await migrate(storage.client, { retentionMonths: 24 })
})
afterAll(async () => {
  await storage?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('sql/0070 over stored events', () => {
  it('gives the stored cells their organisations and keeps their people and events', async () => {
    const byName = await rows<{ name: string; users: number; orgs: number; events: number }>(
      "SELECT name, uniqUpToMerge(32)(users_upto) AS users, uniqUpToMerge(32)(orgs_upto) AS orgs, sum(events) AS events FROM agg_events_daily WHERE app_id = 'shop' GROUP BY name ORDER BY name")
    expect(byName).toEqual([{ name: 'login', users: 6, orgs: 3, events: 6 }, { name: 'page_view', users: 6, orgs: 3, events: 6 }])
    const [pages] = await rows<{ users: number; orgs: number; views: number }>(
      "SELECT uniqUpToMerge(32)(users_upto) AS users, uniqUpToMerge(32)(orgs_upto) AS orgs, sum(views) AS views FROM agg_pages_daily WHERE app_id = 'shop'")
    expect(pages).toEqual({ users: 6, orgs: 3, views: 6 })
  })

  it('counts the organisations of events stored after it through the views', async () => {
    await storage.client.command({
      query: `INSERT INTO events (app_id, event_id, name, ts, received_at, user_hash, org_hash, salt_period) VALUES ('shop', generateUUIDv4(), 'export_start', now64(3), now64(3), 'usera', 'orgz', 1)`,
    })
    const [row] = await rows<{ orgs: number }>("SELECT uniqUpToMerge(32)(orgs_upto) AS orgs FROM agg_events_daily WHERE app_id = 'shop' AND name = 'export_start'")
    expect(row!.orgs).toBe(1)
  })
})
