// PRIVACY.md 4, 15 and 19 with an injectable clock, through real ingestion on the embedded
// engine: salts rotate per period and live in the server's memory only (no file under the data
// directory ever holds one), a retired salt leaves memory at rotation, a restart mid-period
// starts a new period id that still ends at the calendar boundary, and the org key is per app
// and period. The clock starts at today 09:00 UTC, never a fixed date; each test has its apps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import type { AppConfig } from '../../src/apps/apps.ts'
import { filesHolding, readStored } from '../support/disk-scan.ts'

const HOUR = 3600_000
const DAY = 24 * HOUR
const day = Math.floor(Date.now() / DAY) // today's daily slot (UTC)
const start = day * DAY + 9 * HOUR // today 09:00 UTC

const CANARY = 'veil-canary-salts-3b9f'
let clock = start
const apps = {
  alike: testApp('alike'),
  next: testApp('next'),
  hourly: testApp('hourly', { salt_rotation_hours: 1 }),
  // A declared enum value is stored as it is (closed lists need no k people): the scan's canary.
  disk: testApp('disk', { plan: { mode: 'open', events: { canary_seen: { props: { note: { kind: 'enum', values: [CANARY] } } } } } }),
  retire: testApp('retire', { salt_rotation_hours: 1 }),
  orgA: testApp('org-a'),
  orgB: testApp('org-b'),
  restart: testApp('restart'),
}
const dataDir = tempDir()
let s: TestServer

beforeAll(async () => {
  s = await startTestServer({ dataDir, apps: Object.values(apps), listen: false, now: () => clock })
})
afterAll(() => s?.stop())

async function hashes(app: AppConfig, ids: { user_id?: string; org_id?: string }): Promise<{ user: string; org: string; period: number }> {
  const e = event({ ...ids, ts: clock })
  const res = await s.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, [e], { sent_at: clock })))
  expect(res.status).toBe(202)
  const [row] = await s.query<{ user_hash: string; org_hash: string; salt_period: number }>('SELECT user_hash, org_hash, salt_period FROM events WHERE event_id = {id:UUID}', { id: e.id })
  return { user: row!.user_hash, org: row!.org_hash, period: Number(row!.salt_period) }
}
const userHash = (app: AppConfig, userId: string) => hashes(app, { user_id: userId })

/** Files under the data directory that hold the salt, as hex or as raw bytes. */
function onDisk(salt: Buffer): string[] {
  return readStored(dataDir)
    .filter(({ content }) => content.includes(salt) || content.includes(salt.toString('hex')))
    .map(({ file }) => file)
}
const heldSalt = (app: AppConfig) => {
  const [h] = s.veil.salts.held(app.id)
  expect(h).toBeDefined()
  return h!
}

describe('salts of the embedded engine', () => {
  it('hash the same user alike within a period', async () => {
    clock = start
    const a = await userHash(apps.alike, 'user-1')
    clock = start + 5 * HOUR
    const b = await userHash(apps.alike, 'user-1')
    expect(a).toEqual(b)
    expect(a.user).not.toBe((await userHash(apps.alike, 'user-2')).user)
  })

  it('hash the same user differently in the next period, whose id is later', async () => {
    clock = start
    const today = await userHash(apps.next, 'user-1')
    clock = start + DAY
    const tomorrow = await userHash(apps.next, 'user-1')
    expect(tomorrow.period).toBe((day + 1) * 86_400)
    expect(tomorrow.period).toBeGreaterThan(today.period)
    expect(tomorrow.user).not.toBe(today.user)
  })

  it('rotate per app setting: an hourly app gets a new salt every hour', async () => {
    clock = start
    const a = await userHash(apps.hourly, 'user-1')
    clock = start + HOUR
    const b = await userHash(apps.hourly, 'user-1')
    expect(b.period).toBe((start + HOUR) / 1000)
    expect(b.user).not.toBe(a.user)
    expect(heldSalt(apps.hourly).retiresAt).toBe(start + 2 * HOUR)
  })

  it('are in no table and no file under the data directory, at any moment', async () => {
    clock = start
    await userHash(apps.disk, 'user-1')
    const first = heldSalt(apps.disk)
    expect(first.salt).toHaveLength(32)
    const tables = (await s.query<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase()')).map((t) => t.name)
    expect(tables).not.toContain('salts')
    expect(tables).not.toContain('secrets')
    await s.veil.writer.flush()
    expect(onDisk(first.salt)).toEqual([])
    clock = start + DAY
    await userHash(apps.disk, 'user-1')
    const second = heldSalt(apps.disk)
    expect(second.salt.equals(first.salt)).toBe(false)
    for (const salt of [first.salt, second.salt, first.orgKey, second.orgKey]) expect(onDisk(salt)).toEqual([])
    // The scan sees what is stored: a canary prop sent with an event is in a file (its spool frame).
    const res = await s.veil.app.request('/v1/batch', post(batch(apps.disk.write_keys[0]!, [event({ name: 'canary_seen', user_id: 'user-1', ts: clock, props: { note: CANARY } })], { sent_at: clock })))
    expect(res.status).toBe(202)
    expect(filesHolding(dataDir, CANARY).length).toBeGreaterThan(0)
  })

  it('leave memory at rotation: a retired salt is held no more, and a new one is made', async () => {
    clock = start
    await userHash(apps.retire, 'user-1')
    const old = heldSalt(apps.retire)
    clock = old.retiresAt
    expect(s.veil.salts.held(apps.retire.id)).toEqual([])
    expect(await s.veil.salts.purgeExpired()).toBeGreaterThan(0)
    const next = await userHash(apps.retire, 'user-1')
    expect(next.period).toBe(old.retiresAt / 1000)
    expect(heldSalt(apps.retire).salt.equals(old.salt)).toBe(false)
  })

  it('hash one org id differently in two apps and in two periods', async () => {
    clock = start
    const a1 = await hashes(apps.orgA, { user_id: 'u', org_id: 'Acme GmbH' })
    const b1 = await hashes(apps.orgB, { user_id: 'u', org_id: 'Acme GmbH' })
    const a1again = await hashes(apps.orgA, { user_id: 'v', org_id: 'Acme GmbH' })
    clock = start + DAY
    const a2 = await hashes(apps.orgA, { user_id: 'u', org_id: 'Acme GmbH' })
    expect(a1.org).toMatch(/^[0-9a-f]{16}$/)
    expect(a1again.org).toBe(a1.org)
    expect(b1.org).not.toBe(a1.org)
    expect(a2.org).not.toBe(a1.org)
  })
})

describe('a restart mid-period', () => {
  it('starts a new period id that ends at the calendar boundary: one person counts once in each period, never twice in one', async () => {
    clock = start
    const before = await userHash(apps.restart, 'user-1')
    const beforeRetires = heldSalt(apps.restart).retiresAt
    await s.stop()
    // The same clock after the restart: the id is new all the same (larger than any stored).
    s = await startTestServer({ dataDir, apps: Object.values(apps), listen: false, now: () => clock })
    const after = await userHash(apps.restart, 'user-1')
    await userHash(apps.restart, 'user-1')
    expect(after.period).toBeGreaterThan(before.period)
    expect(heldSalt(apps.restart).retiresAt).toBe(beforeRetires)
    expect(after.user).not.toBe(before.user)
    const cells = await s.query<{ period: number; users: number }>(
      "SELECT period, uniqCombinedMerge(12)(users) AS users FROM agg_events_daily WHERE app_id = 'restart' GROUP BY period ORDER BY period",
    )
    expect(cells.map((c) => [Number(c.period), Number(c.users)])).toEqual([[before.period, 1], [after.period, 1]])
  })
})
