// Crypto-shredding (PRIVACY.md 17, 19): a value fewer than k people sent in a salt period is
// unreadable for good once the period's salt is deleted. Its token stays in the events, but the
// key of its digest and of its sealed copy is gone: the publisher can no longer open the copy,
// a salt created anew for that period derives another key, and the copies are deleted too.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { allFakers } from '@faker-js/faker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { valuesKey } from '../../src/privacy/values/keys.ts'
import { open } from '../../src/privacy/values/seal.ts'

const HOUR = 3600_000
const app = testApp('shred', { salt_rotation_hours: 1, k_anonymity: 2 })
// Whole hours from now: the engine's wall clock runs the tables' TTLs, so nothing here is past.
let clock = Math.floor(Date.now() / HOUR) * HOUR + HOUR + 60_000
const f = allFakers.de
f.seed(1725)
const secret = `gehalt_${f.person.lastName().toLowerCase().replace(/[^a-z]/g, '')}_${f.person.firstName().toLowerCase().replace(/[^a-z]/g, '')}`
let s: TestServer

interface Sealed { period: number; field: string; token: string; sealed: string }
let before: Sealed[] = []
let openedBefore: (string | undefined)[] = []
let publishedAfter = -1
let publishedWhileAlive = -1
let sealedAfter = -1
let openedWithNewSalt: (string | undefined)[] = []
let stored = ''

const filesUnder = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]))

async function report(userId: string, name: string): Promise<void> {
  const res = await s.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, [event({ name: 'report_query', ts: clock, user_id: userId, props: { report: name, duration_ms: 5, status: 'ok' } })], { sent_at: clock })))
  expect(res.status).toBe(202)
  await s.drained()
  await s.veil.values.flush()
}

/** Counts one more person for a token, as the view would for another person's event. */
async function addPerson(r: Sealed): Promise<void> {
  await s.veil.storage.client.command({
    query: `INSERT INTO value_people SELECT {a:String}, {p:UInt32}, {t:String}, uniqExactState(x), now() FROM (SELECT 'another-person-hash' AS x)`,
    query_params: { a: app.id, p: Number(r.period), t: r.token },
  })
}

beforeAll(async () => {
  s = await startTestServer({ apps: [app], listen: false, now: () => clock, env: { VALUES_PUBLISH_MS: '0' } })
  await report('one-person', secret)
  expect(await s.veil.values.publisher.publishNow()).toBe(0) // one person: nothing reaches k = 2
  before = await s.query<Sealed>('SELECT period, field, token, sealed FROM sealed_values')
  // While the key lives, a token that reaches k is published: a second person counted for `ok`.
  const status = before.find((r) => r.field === 'report_query:status')!
  await addPerson(status)
  publishedWhileAlive = await s.veil.values.publisher.publishNow()
  const [salt] = s.veil.salts.held(app.id)
  openedBefore = before.map((r) => open(valuesKey(salt!.salt, app.id, Number(r.period)), r.field, r.token, r.sealed))
  clock += 51 * HOUR // the period has ended: its salt is deleted
  await report('later-person', 'other_report')
  await s.veil.salts.purgeExpired()
  // A second person now sends the same value: a new period, a new token; the old one stays alone.
  await report('second-person', secret)
  // A late count that lifts the old token to k: its period's key is gone, so nothing is opened.
  await addPerson(before.find((r) => r.field === 'report_query:report')!)
  await s.veil.values.publisher.publishNow()
  publishedAfter = Number((await s.query<{ n: string }>("SELECT count() AS n FROM published_values WHERE period = {p:UInt32} AND field = 'report_query:report'", { p: Number(before[0]!.period) }))[0]!.n)
  // What an operator could do with the copies: derive a key from a salt created anew for that period.
  const fresh = Buffer.alloc(32, 7)
  openedWithNewSalt = before.map((r) => open(valuesKey(fresh, app.id, Number(r.period)), r.field, r.token, r.sealed))
  await s.veil.values.purgeExpired()
  sealedAfter = Number((await s.query<{ n: string }>('SELECT count() AS n FROM sealed_values WHERE period = {p:UInt32}', { p: Number(before[0]!.period) }))[0]!.n)
  stored = JSON.stringify(await s.query('SELECT name, props FROM events'))
  await s.stop()
}, 120_000)
afterAll(() => s?.stop())

describe('a value under k after its period', () => {
  it('was sealed, and its copy opened with the period key while the salt lived', () => {
    const report = before.find((r) => r.field === 'report_query:report')
    expect(report).toBeDefined()
    expect(openedBefore).toContain(secret)
  })

  it('cannot be opened once the salt is gone, and no publication of its period follows', () => {
    expect(publishedWhileAlive).toBe(1)
    expect(openedWithNewSalt.filter((v) => v !== undefined)).toEqual([])
    expect(publishedAfter).toBe(0)
  })

  it('leaves only tokens in the events, and its sealed copies are deleted', () => {
    expect(stored).not.toContain(secret)
    expect(stored).toMatch(/~[0-9a-f]{16}/)
    expect(sealedAfter).toBe(0)
  })

  it('is in no file under the data directory', () => {
    const files = filesUnder(s.dataDir).map((p) => ({ p, c: readFileSync(p) }))
    expect(files.some(({ c }) => c.includes('other_report'))).toBe(false) // one person too: sealed as well
    for (const enc of [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex')]) expect(files.filter(({ c }) => c.includes(enc)).map(({ p }) => p)).toEqual([])
  })
})
