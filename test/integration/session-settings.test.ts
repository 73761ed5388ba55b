// chDB runs a call's settings as SET statements on its one session, so they outlive the call.
// An insert_deduplication_token set by one insert must not be inherited by the next insert that
// sets none: the table would drop that insert as a duplicate (seen after the migration lock).
import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { loadConfig } from '../../src/config.ts'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { migrate } from '../../src/storage/schema/migrate.ts'
import { tempDir } from '../support/server.ts'

let storage: Storage | undefined
afterAll(() => storage?.close())

const row = (app: string) => ({ app_id: app, event_id: crypto.randomUUID(), name: 'login', ts: Date.now(), received_at: Date.now(), salt_period: 1 })

describe('settings of one call on the embedded engine', () => {
  it('do not carry a deduplication token into the next insert', async () => {
    storage = await openStorage(loadConfig({ DATA_DIR: join(tempDir('session-settings-'), 'ch') }))
    await migrate(storage.client, { retentionMonths: 24 }) // takes the migration lock: inserts with tokens
    const { client } = storage
    await client.insert({ table: 'events', values: [row('a')], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'tok-1' } })
    await client.insert({ table: 'events', values: [row('b')], format: 'JSONEachRow' })
    await client.insert({ table: 'events', values: [row('c')], format: 'JSONEachRow' })
    const rs = await client.query({ query: 'SELECT app_id FROM events ORDER BY app_id', format: 'JSONEachRow' })
    expect((await rs.json<{ app_id: string }>()).map((r) => r.app_id)).toEqual(['a', 'b', 'c'])
  })
})
