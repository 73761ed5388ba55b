// Issue 10, kind 9 (memory and disk): raw ids and User-Agents planted in real requests are never
// keys or values of the hot-path caches, the caches are emptied when the salt period changes,
// and a purged salt is gone from every file under the data directory, not only from SELECT.
// None of the planted values reaches a table, a log line, a file or an API answer; a canary
// prop and the current salt, which are meant to be stored, show that each scan can see.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { batch, event } from '../support/batch.ts'
import { inspectCaches, type CacheContents } from '../../src/privacy/keyed-cache.ts'

const HOUR = 3600_000
const CANARY = 'veil-canary-kind9-5e1f'
const RAW = {
  userId: 'kind9.person@example.org',
  sessionId: 'kind9-session-7c1d',
  orgId: 'Kind Nine Works GmbH',
  nextUserId: 'kind9.next-period@example.org',
} as const
const UA = 'Mozilla/5.0 (X11; Linux x86_64; Kind9Planted) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36'
const UA_TOKEN = 'Kind9Planted'

const app = testApp('kind9', { salt_rotation_hours: 1 })
// Whole hours from now: the wall clock decides the salts' TTL, so nothing here is in the past.
let clock = Math.floor(Date.now() / HOUR) * HOUR + HOUR + 60_000
let s: TestServer
const logs: string[] = []

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? filesUnder(p) : [p]
  })
const ofApp = () => inspectCaches().filter((c) => c.name === `hash-ids:${app.id}` || c.name === 'user-agents')
const flat = (cs: CacheContents[]) => JSON.stringify(cs)

async function send(userId: string, extra: Record<string, string> = {}): Promise<void> {
  const body = batch(app.write_keys[0]!, [event({ name: 'login', ts: clock, user_id: userId, session_id: RAW.sessionId, org_id: RAW.orgId, props: { method: 'sso', note: CANARY } })], { sent_at: clock })
  const res = await s.veil.app.request('/v1/batch', { method: 'POST', headers: { 'Content-Type': 'text/plain', 'User-Agent': UA, ...extra }, body: JSON.stringify(body) })
  expect(res.status, await res.text()).toBe(202)
  await s.veil.writer.flush()
}

const saltsOf = async () => (await s.query<{ period: number; salt: string }>('SELECT period, salt FROM salts WHERE app_id = {a:String} ORDER BY period', { a: app.id }))

let firstCaches: CacheContents[] = []
let secondCaches: CacheContents[] = []
let purged = 0
let oldSalts: string[] = []
let currentSalt = ''
let tables: Record<string, string> = {}
let answers = ''
let inactiveAfterPurge = -1

beforeAll(async () => {
  s = await startTestServer({ apps: [app], now: () => clock, listen: false, env: { LOG_LEVEL: 'debug' }, logDestination: { write: (l: string) => void logs.push(l) } })
  await send(RAW.userId)
  firstCaches = structuredClone(ofApp())
  clock += HOUR // the next salt period
  await send(RAW.nextUserId)
  secondCaches = structuredClone(ofApp())
  clock += 50 * HOUR // both salts are now retired for more than 48 hours
  await send(RAW.nextUserId)
  oldSalts = (await saltsOf()).slice(0, 2).map((r) => r.salt)
  purged = await s.veil.salts.purgeExpired()
  currentSalt = (await saltsOf()).at(-1)!.salt
  inactiveAfterPurge = Number((await s.query<{ n: string }>("SELECT count() AS n FROM system.parts WHERE database = currentDatabase() AND table = 'salts' AND active = 0"))[0]!.n)
  for (const { name } of await s.query<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase()')) {
    tables[name] = await (await s.veil.storage.client.query({ query: `SELECT * FROM ${name}`, format: 'JSONEachRow' })).text()
  }
  const day = (t: number) => new Date(t).toISOString().slice(0, 10)
  for (const report of ['events', 'breakdown?dimension=browser']) {
    const res = await s.veil.app.request(`/v1/stats/${report}${report.includes('?') ? '&' : '?'}from=${day(clock - 4 * 24 * HOUR)}&to=${day(clock)}`, { headers: { Authorization: `Bearer ${app.read_keys[0]}` } })
    expect(res.status).toBe(200)
    answers += await res.text()
  }
  await s.stop()
}, 120_000)
afterAll(() => s?.stop())

describe('hot-path caches', () => {
  it('hold entries for the ids and the User-Agent seen (the inspection can see them)', () => {
    const ids = firstCaches.find((c) => c.name === `hash-ids:${app.id}`)
    const uas = firstCaches.find((c) => c.name === 'user-agents')
    // One entry for the ids of one event: its user, session and org hashes.
    expect(ids?.keys).toHaveLength(1)
    expect(ids?.values[0]).toMatchObject({ user: expect.stringMatching(/^[0-9a-f]{16}$/), session: expect.stringMatching(/^[0-9a-f]{16}$/), org: expect.stringMatching(/^[0-9a-f]{16}$/) })
    expect(uas?.keys).toHaveLength(1)
    expect(uas?.values[0]).toMatchObject({ browser: 'Chrome', browser_version: '121' })
  })

  it('are keyed by a keyed digest: no raw id or User-Agent, nor an unkeyed hash of one', () => {
    for (const cs of [firstCaches, secondCaches]) {
      const text = flat(cs)
      for (const raw of [...Object.values(RAW), UA, UA_TOKEN]) {
        expect(text).not.toContain(raw)
        for (const enc of ['hex', 'base64'] as const) expect(text).not.toContain(createHash('sha256').update(raw).digest(enc))
      }
    }
  })

  it('are emptied when the salt period changes: nothing of the first period is left', () => {
    const before = new Set(firstCaches.flatMap((c) => c.keys))
    const after = secondCaches.flatMap((c) => c.keys)
    expect(after.length).toBeGreaterThan(0)
    expect(after.filter((k) => before.has(k))).toEqual([])
    // The next period's event only. The change of period is noticed when that batch's ids are
    // hashed, after its User-Agent was parsed: the UA cache is empty.
    expect(secondCaches.find((c) => c.name === `hash-ids:${app.id}`)?.keys).toHaveLength(1)
    expect(secondCaches.find((c) => c.name === 'user-agents')?.keys).toEqual([])
    type H = { user: string; session: string; org: string }
    const [before1] = firstCaches.find((c) => c.name === `hash-ids:${app.id}`)!.values as H[]
    const [after1] = secondCaches.find((c) => c.name === `hash-ids:${app.id}`)!.values as H[]
    // The same session id hashes anew under the new salt; the org hash is stable by design
    // (pseudonymous, PRIVACY.md 4).
    expect(after1!.session).not.toBe(before1!.session)
    expect(after1!.user).not.toBe(before1!.user)
    expect(after1!.org).toBe(before1!.org)
  })
})

describe('purged salts', () => {
  it('are reported once they are gone from SELECT and from every part, active or not', async () => {
    expect(purged).toBe(2)
    expect(oldSalts).toHaveLength(2)
    expect(inactiveAfterPurge).toBe(0)
    for (const salt of oldSalts) expect(tables.salts).not.toContain(salt)
    expect(tables.salts).toContain(currentSalt)
  })

  it('are in no file under the data directory, as hex or as bytes', () => {
    const files = filesUnder(s.dataDir).map((f) => ({ f, c: readFileSync(f) }))
    // The current salt is stored: the scan sees salts where they are.
    expect(files.some(({ c }) => c.includes(currentSalt))).toBe(true)
    for (const salt of oldSalts) {
      for (const needle of [salt, Buffer.from(salt, 'hex')]) {
        expect({ salt, hits: files.filter(({ c }) => c.includes(needle)).map(({ f }) => f) }).toEqual({ salt, hits: [] })
      }
    }
  })
})

describe('planted raw ids, User-Agent and purged salts', () => {
  const planted = () => [...Object.values(RAW), UA, UA_TOKEN, ...oldSalts]

  it('reach no table (the canary does)', () => {
    expect(tables.events).toContain(CANARY)
    for (const value of planted()) for (const [table, text] of Object.entries(tables)) expect({ table, value, found: text.includes(value) }).toMatchObject({ found: false })
  })

  it('reach no log line', () => {
    expect(logs.length).toBeGreaterThan(0)
    for (const value of planted()) expect(logs.filter((l) => l.includes(value))).toEqual([])
  })

  it('reach no file under the data directory (the canary does)', () => {
    const contents = filesUnder(s.dataDir).map((f) => ({ f, c: readFileSync(f) }))
    expect(contents.some(({ c }) => c.includes(CANARY))).toBe(true)
    for (const value of planted()) expect({ value, hits: contents.filter(({ c }) => c.includes(value)).map(({ f }) => f) }).toEqual({ value, hits: [] })
  })

  it('reach no API answer (the reports answer about the events stored)', () => {
    // One person per salt period: the stored events show up as suppressed cells.
    expect(answers).toContain('"suppressed":true')
    for (const value of planted()) expect(answers).not.toContain(value)
  })
})
