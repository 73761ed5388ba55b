// PRIVACY.md 4 with an injectable clock against the real salts table: salts rotate per period,
// the same user hashes alike within a period and differently across periods, and a salt is
// deleted 48 hours after it was retired.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { createSaltStore } from '../../src/privacy/salts.ts'

const HOUR = 3600_000
const start = Date.UTC(2026, 10, 22, 9, 0, 0) // 09:00 UTC
const day = Math.floor(start / (24 * HOUR)) // the daily period of 2026-11-22
let clock = start
const daily = testApp('daily')
const hourly = testApp('hourly', { salt_rotation_hours: 1 })
let s: TestServer

beforeAll(async () => {
  s = await startTestServer({ apps: [daily, hourly], listen: false, now: () => clock })
})
afterAll(() => s?.stop())

async function userHash(app: typeof daily, userId: string): Promise<{ hash: string; period: number }> {
  const e = event({ user_id: userId, ts: clock })
  const res = await s.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, [e], { sent_at: clock })))
  expect(res.status).toBe(202)
  const [row] = await s.query<{ user_hash: string; salt_period: number }>('SELECT user_hash, salt_period FROM events WHERE event_id = {id:UUID}', { id: e.id })
  return { hash: row!.user_hash, period: Number(row!.salt_period) }
}

const saltRows = (appId: string) =>
  s.query<{ period: number; salt: string; retired_at: string }>('SELECT period, salt, toString(retired_at) AS retired_at FROM salts WHERE app_id = {app:String} ORDER BY period', { app: appId })

describe('rotating salts', () => {
  it('hashes the same user alike within a period', async () => {
    clock = start
    const a = await userHash(daily, 'user-1')
    clock = start + 5 * HOUR
    const b = await userHash(daily, 'user-1')
    expect(a.hash).toBe(b.hash)
    expect(a.period).toBe(b.period)
    expect(a.hash).not.toBe((await userHash(daily, 'user-2')).hash)
  })

  it('hashes the same user differently in the next period', async () => {
    clock = start
    const today = await userHash(daily, 'user-1')
    clock = start + 24 * HOUR
    const tomorrow = await userHash(daily, 'user-1')
    expect(tomorrow.period).toBe(today.period + 1)
    expect(tomorrow.hash).not.toBe(today.hash)
  })

  it('keeps one random 32-byte salt per app and period, different between apps', async () => {
    clock = start
    await userHash(hourly, 'user-1')
    const d = await saltRows('daily')
    const h = await saltRows('hourly')
    expect(d.map((r) => Number(r.period))).toEqual([day, day + 1])
    for (const r of [...d, ...h]) expect(r.salt).toMatch(/^[0-9a-f]{64}$/)
    expect(new Set([...d, ...h].map((r) => r.salt)).size).toBe(d.length + h.length)
    expect(d[0]!.retired_at).toBe('2026-11-23 00:00:00')
  })

  it('rotates per app setting: an hourly app gets a new salt every hour', async () => {
    clock = start
    const a = await userHash(hourly, 'user-1')
    clock = start + HOUR
    const b = await userHash(hourly, 'user-1')
    expect(b.period).toBe(a.period + 1)
    expect(b.hash).not.toBe(a.hash)
  })

  it('deletes a salt 48 hours after it was retired, not before', async () => {
    // The daily salt of 2026-11-22 retires at 2026-11-23 00:00.
    clock = Date.UTC(2026, 10, 24, 23, 59)
    await s.veil.salts.purgeExpired()
    expect((await saltRows('daily')).map((r) => Number(r.period))).toContain(day)
    clock = Date.UTC(2026, 10, 25, 0, 0)
    expect(await s.veil.salts.purgeExpired()).toBeGreaterThan(0)
    const left = await saltRows('daily')
    expect(left.map((r) => Number(r.period))).not.toContain(day)
    expect(left.map((r) => Number(r.period))).toContain(day + 1)
  })

  it('cannot reproduce a deleted period: a new salt for it would differ', async () => {
    clock = start
    const again = await userHash(daily, 'user-1')
    // The old salt is gone, so the same period gets a fresh random salt and a new hash.
    const [row] = await s.query<{ n: string }>("SELECT uniqExact(user_hash) AS n FROM events WHERE app_id = 'daily' AND salt_period = {day:UInt32} AND user_hash != ''", { day })
    expect(Number(row!.n)).toBeGreaterThan(2)
    expect(again.period).toBe(day)
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
