// Issue 10, kind 9 (memory and disk), and issue 26: raw ids and User-Agents planted in real
// requests are never keys or values of the hot-path caches, the caches are emptied when the
// salt period changes, and no salt, live or retired, is in any file under the data directory at
// any moment (the embedded engine keeps them in memory only, PRIVACY.md 19). None of the planted
// values reaches a table, a log line, a file or an API answer; a canary prop, which is meant to
// be stored, shows that each scan can see.
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { batch, event } from '../support/batch.ts'
import { inspectCaches, type CacheContents } from '../../src/privacy/keyed-cache.ts'
import { readStored } from '../support/disk-scan.ts'

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

// The canary is a value of a closed list the plan declares: stored as it is (an open-ended value
// of one person would be a token, PRIVACY.md 17, which no scan could see).
const app = testApp('kind9', { salt_rotation_hours: 1, plan: { mode: 'open', events: { canary_kept: { props: { note: { kind: 'enum', values: [CANARY] } } } } } })
// Whole hours from now: the wall clock decides the salts' TTL, so nothing here is in the past.
let clock = Math.floor(Date.now() / HOUR) * HOUR + HOUR + 60_000
let s: TestServer
const logs: string[] = []

const ofApp = () => inspectCaches().filter((c) => c.name === `hash-ids:${app.id}` || c.name === `devices:${app.id}` || c.name === 'user-agents')
const flat = (cs: CacheContents[]) => JSON.stringify(cs)

async function send(userId: string, extra: Record<string, string> = {}): Promise<void> {
  const body = batch(app.write_keys[0]!, [
    event({ name: 'login', ts: clock, user_id: userId, session_id: RAW.sessionId, org_id: RAW.orgId, props: { method: 'sso' } }),
    event({ name: 'canary_kept', ts: clock, user_id: userId, session_id: RAW.sessionId, org_id: RAW.orgId, props: { note: CANARY } }),
  ], { sent_at: clock })
  const res = await s.veil.app.request('/v1/batch', { method: 'POST', headers: { 'Content-Type': 'text/plain', 'User-Agent': UA, ...extra }, body: JSON.stringify(body) })
  expect(res.status, await res.text()).toBe(202)
  await s.veil.writer.flush()
}

/** The salt this node holds for the app now, as hex. */
const heldSalt = () => s.veil.salts.held(app.id).map((h) => h.salt.toString('hex'))
/** Files under the data directory holding any of the salts, as hex or as bytes. */
const saltFiles = (salts: string[]) =>
  readStored(s.dataDir)
    .filter(({ content: c }) => salts.some((salt) => c.includes(salt) || c.includes(Buffer.from(salt, 'hex'))))
    .map(({ file }) => file)

let firstCaches: CacheContents[] = []
let secondCaches: CacheContents[] = []
let oldSalts: string[] = []
let currentSalt = ''
let heldAfterRotation: string[][] = []
/** Files holding a salt, scanned at each moment: after each period's first event, and after stop. */
const saltScans: { moment: string; files: string[] }[] = []
let tables: Record<string, string> = {}
let answers = ''

beforeAll(async () => {
  s = await startTestServer({ apps: [app], now: () => clock, listen: false, env: { LOG_LEVEL: 'debug' }, logDestination: { write: (l: string) => void logs.push(l) } })
  await send(RAW.userId)
  firstCaches = structuredClone(ofApp())
  oldSalts.push(...heldSalt())
  saltScans.push({ moment: 'first period', files: saltFiles(oldSalts) })
  clock += HOUR // the next salt period
  await send(RAW.nextUserId)
  secondCaches = structuredClone(ofApp())
  heldAfterRotation.push(heldSalt())
  oldSalts.push(...heldSalt())
  saltScans.push({ moment: 'second period', files: saltFiles(oldSalts) })
  clock += 50 * HOUR // a later period, both earlier salts retired
  await send(RAW.nextUserId)
  heldAfterRotation.push(heldSalt())
  currentSalt = heldSalt()[0]!
  saltScans.push({ moment: 'third period', files: saltFiles([...oldSalts, currentSalt]) })
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
  saltScans.push({ moment: 'after stop', files: saltFiles([...oldSalts, currentSalt]) })
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
    // The next period's request only. The change of period is noticed at put_device (a browser
    // request's device key is cached with the id hashes), before its User-Agent is parsed: each
    // cache holds that request's one entry, under a new digest key.
    expect(secondCaches.find((c) => c.name === `hash-ids:${app.id}`)?.keys).toHaveLength(1)
    expect(secondCaches.find((c) => c.name === `devices:${app.id}`)?.keys).toHaveLength(1)
    expect(secondCaches.find((c) => c.name === 'user-agents')?.keys).toHaveLength(1)
    type H = { user: string; session: string; org: string }
    const [before1] = firstCaches.find((c) => c.name === `hash-ids:${app.id}`)!.values as H[]
    const [after1] = secondCaches.find((c) => c.name === `hash-ids:${app.id}`)!.values as H[]
    // The same ids hash anew under the new salt, the org id too: its key is the app's of the
    // period (PRIVACY.md 4).
    expect(after1!.session).not.toBe(before1!.session)
    expect(after1!.user).not.toBe(before1!.user)
    expect(after1!.org).not.toBe(before1!.org)
  })
})

describe('salts', () => {
  it('are held in memory one at a time: a retired salt leaves at rotation', () => {
    expect(oldSalts).toHaveLength(2)
    expect(new Set([...oldSalts, currentSalt]).size).toBe(3)
    for (const salt of [...oldSalts, currentSalt]) expect(salt).toMatch(/^[0-9a-f]{64}$/)
    expect(heldAfterRotation).toEqual([[oldSalts[1]], [currentSalt]])
  })

  it('are in no table and in no file under the data directory, as hex or as bytes, at any moment', () => {
    expect(saltScans.map((x) => x.moment)).toEqual(['first period', 'second period', 'third period', 'after stop'])
    for (const scan of saltScans) expect(scan).toEqual({ moment: scan.moment, files: [] })
    expect(Object.keys(tables)).not.toContain('salts')
    expect(Object.keys(tables)).not.toContain('secrets')
  })
})

describe('planted raw ids, User-Agent and salts', () => {
  const planted = () => [...Object.values(RAW), UA, UA_TOKEN, ...oldSalts, currentSalt]

  it('reach no table (the canary does)', () => {
    expect(tables.events).toContain(CANARY)
    for (const value of planted()) for (const [table, text] of Object.entries(tables)) expect({ table, value, found: text.includes(value) }).toMatchObject({ found: false })
  })

  it('reach no log line', () => {
    expect(logs.length).toBeGreaterThan(0)
    for (const value of planted()) expect(logs.filter((l) => l.includes(value))).toEqual([])
  })

  it('reach no file under the data directory (the canary does)', () => {
    const contents = readStored(s.dataDir).map(({ file: f, content: c }) => ({ f, c }))
    expect(contents.some(({ c }) => c.includes(CANARY))).toBe(true)
    for (const value of planted()) expect({ value, hits: contents.filter(({ c }) => c.includes(value)).map(({ f }) => f) }).toEqual({ value, hits: [] })
  })

  it('reach no API answer (the reports answer about the events stored)', () => {
    // One person per salt period: the stored events show up as suppressed cells.
    expect(answers).toContain('"suppressed":true')
    for (const value of planted()) expect(answers).not.toContain(value)
  })
})
