// The storage contract of DESIGN.md and PRIVACY.md 7, read back from the real engine: TTLs,
// partitioning, ordering, dedup settings, and migrations that apply once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../support/server.ts'
import { applyRetention, migrate } from '../../src/storage/schema/migrate.ts'

let s: TestServer
beforeAll(async () => {
  // An empty store migrated here, not the template: this file is what proves the migrations right.
  s = await startTestServer({ listen: false, emptyStore: true })
})
afterAll(() => s?.stop())

const showCreate = async (table: string) => {
  const rs = await s.veil.storage.client.query({ query: `SHOW CREATE TABLE ${table}`, format: 'TabSeparatedRaw' })
  return rs.text()
}

describe('tables', () => {
  it('keeps events 2 years, in monthly partitions ordered by app, day and name', async () => {
    const sql = await showCreate('events')
    expect(sql).toContain('TTL toDateTime(received_at) + toIntervalMonth(24)')
    expect(sql).toContain('PARTITION BY toYYYYMM(received_at)')
    expect(sql).toContain('ORDER BY (app_id, toDate(ts), name, user_hash)')
    expect(sql).toContain('ttl_only_drop_parts = 1')
    expect(sql).toMatch(/non_replicated_deduplication_window = [1-9]/)
    expect(sql).toContain('`country` LowCardinality(String)')
  })

  it('keeps quarantined events 30 days, and no salt or key in any table of the database', async () => {
    expect(await showCreate('quarantine')).toContain('TTL toDateTime(received_at) + toIntervalDay(30)')
    // The embedded engine's salts live in memory only (PRIVACY.md 19, sql/0060).
    const tables = (await s.query<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase()')).map((t) => t.name)
    expect(tables).toContain('quarantine')
    expect(tables).not.toContain('salts')
    expect(tables).not.toContain('secrets')
  })

  it('has no column that could hold an IP address or a User-Agent', async () => {
    const cols = await s.query<{ name: string }>("SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'events'")
    const names = cols.map((c) => c.name)
    expect(names).toContain('country')
    for (const n of names) expect(n).not.toMatch(/ip|agent|^user_id$|^session_id$|^org_id$/i)
  })

  it('applies migrations once and records them', async () => {
    expect(await migrate(s.veil.storage.client, { retentionMonths: 24 })).toEqual([])
    const rows = await s.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
    expect(rows.map((r) => Number(r.version)).slice(0, 3)).toEqual([1, 2, 3])
  })

  it('applies a changed RETENTION_MONTHS to existing tables', async () => {
    expect(await applyRetention(s.veil.storage.client, 13)).toContain('events')
    expect(await showCreate('events')).toContain('TTL toDateTime(received_at) + toIntervalMonth(13)')
    expect(await applyRetention(s.veil.storage.client, 13)).toEqual([])
    await applyRetention(s.veil.storage.client, 24)
    expect(await showCreate('events')).toContain('toIntervalMonth(24)')
  })
})
