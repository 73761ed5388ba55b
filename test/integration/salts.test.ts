// PRIVACY.md 4 with an injectable clock against the real salts table: salts rotate per period,
// the same user hashes alike within a period and differently across periods, and a salt is
// deleted 48 hours after it was retired. The injected clock starts at today 09:00 UTC, never on
// a fixed date: the salts table's TTL runs on the engine's wall clock, and a salt created for a
// day more than 48 hours past would be deleted by the engine while the test reads it. Each test
// has apps of its own, so none depends on another's salts or on the order they run in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { createSaltStore } from '../../src/privacy/salts.ts'
import type { AppConfig } from '../../src/apps/apps.ts'

const HOUR = 3600_000
const DAY = 24 * HOUR
const day = Math.floor(Date.now() / DAY) // today's daily period (UTC)
const start = day * DAY + 9 * HOUR // today 09:00 UTC
const midnightAfter = (period: number) => new Date((period + 1) * DAY).toISOString().replace('T', ' ').slice(0, 19)

let clock = start
const daily = (id: string) => testApp(id)
const hourly = (id: string) => testApp(id, { salt_rotation_hours: 1 })
const apps = {
  alike: daily('alike'),
  next: daily('next'),
  keepsDaily: daily('keeps-daily'),
  keepsHourly: hourly('keeps-hourly'),
  hourly: hourly('hourly'),
  purge: daily('purge'),
  reproduce: daily('reproduce'),
}
let s: TestServer

beforeAll(async () => {
  s = await startTestServer({ apps: Object.values(apps), listen: false, now: () => clock })
})
afterAll(() => s?.stop())

async function userHash(app: AppConfig, userId: string): Promise<{ hash: string; period: number }> {
  const e = event({ user_id: userId, ts: clock })
  const res = await s.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, [e], { sent_at: clock })))
  expect(res.status).toBe(202)
  const [row] = await s.query<{ user_hash: string; salt_period: number }>('SELECT user_hash, salt_period FROM events WHERE event_id = {id:UUID}', { id: e.id })
  return { hash: row!.user_hash, period: Number(row!.salt_period) }
}

const saltRows = (app: AppConfig) =>
  s.query<{ period: number; salt: string; retired_at: string }>('SELECT period, salt, toString(retired_at) AS retired_at FROM salts WHERE app_id = {app:String} ORDER BY period', { app: app.id })

describe('rotating salts', () => {
  it('hashes the same user alike within a period', async () => {
    clock = start
    const a = await userHash(apps.alike, 'user-1')
    clock = start + 5 * HOUR
    const b = await userHash(apps.alike, 'user-1')
    expect(a.hash).toBe(b.hash)
    expect(a.period).toBe(b.period)
    expect(a.hash).not.toBe((await userHash(apps.alike, 'user-2')).hash)
  })

  it('hashes the same user differently in the next period', async () => {
    clock = start
    const today = await userHash(apps.next, 'user-1')
    clock = start + DAY
    const tomorrow = await userHash(apps.next, 'user-1')
    expect(tomorrow.period).toBe(today.period + 1)
    expect(tomorrow.hash).not.toBe(today.hash)
  })

  it('keeps one random 32-byte salt per app and period, different between apps', async () => {
    clock = start
    await userHash(apps.keepsDaily, 'user-1')
    await userHash(apps.keepsHourly, 'user-1')
    clock = start + DAY
    await userHash(apps.keepsDaily, 'user-1')
    const d = await saltRows(apps.keepsDaily)
    const h = await saltRows(apps.keepsHourly)
    expect(d.map((r) => Number(r.period))).toEqual([day, day + 1])
    expect(h.map((r) => Number(r.period))).toEqual([Math.floor(start / HOUR)])
    for (const r of [...d, ...h]) expect(r.salt).toMatch(/^[0-9a-f]{64}$/)
    expect(new Set([...d, ...h].map((r) => r.salt)).size).toBe(d.length + h.length)
    expect(d[0]!.retired_at).toBe(midnightAfter(day))
  })

  it('rotates per app setting: an hourly app gets a new salt every hour', async () => {
    clock = start
    const a = await userHash(apps.hourly, 'user-1')
    clock = start + HOUR
    const b = await userHash(apps.hourly, 'user-1')
    expect(b.period).toBe(a.period + 1)
    expect(b.hash).not.toBe(a.hash)
  })

  it('deletes a salt 48 hours after it was retired, not before', async () => {
    clock = start
    await userHash(apps.purge, 'user-1')
    clock = start + DAY
    await userHash(apps.purge, 'user-1')
    // Today's salt retires at the next midnight (UTC) and may be deleted 48 hours later.
    const retired = (day + 1) * DAY
    clock = retired + 48 * HOUR - 60_000
    await s.veil.salts.purgeExpired()
    expect((await saltRows(apps.purge)).map((r) => Number(r.period))).toEqual([day, day + 1])
    clock = retired + 48 * HOUR
    expect(await s.veil.salts.purgeExpired()).toBeGreaterThan(0)
    expect((await saltRows(apps.purge)).map((r) => Number(r.period))).toEqual([day + 1])
  })

  it('cannot reproduce a deleted period: a new salt for it would differ', async () => {
    clock = start
    const before = await userHash(apps.reproduce, 'user-1')
    clock = start + DAY // the node moves on to the next period's salt
    await userHash(apps.reproduce, 'user-1')
    clock = (day + 1) * DAY + 48 * HOUR
    await s.veil.salts.purgeExpired()
    expect((await saltRows(apps.reproduce)).map((r) => Number(r.period))).toEqual([day + 1])
    // The old salt is gone, so the same period gets a fresh random salt and a new hash.
    clock = start
    const after = await userHash(apps.reproduce, 'user-1')
    expect(after.period).toBe(before.period)
    expect(after.hash).not.toBe(before.hash)
  })

  it('lets two nodes that create a salt at the same moment agree on one', async () => {
    clock = start
    const nodeA = createSaltStore(s.veil.storage.client, () => clock)
    const nodeB = createSaltStore(s.veil.storage.client, () => clock)
    await Promise.all([nodeA.current('shared', 24), nodeB.current('shared', 24)])
    clock = start + 10_000 // past the settle time, each node reads the period's salt again
    const [a, b] = await Promise.all([nodeA.current('shared', 24), nodeB.current('shared', 24)])
    expect(a.salt.equals(b.salt)).toBe(true)
  })
})
