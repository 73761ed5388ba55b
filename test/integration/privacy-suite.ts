// PRIVACY.md 1-5 end to end (shared by ingest-privacy*.test.ts): personal data planted in real requests (through a trusted proxy,
// over a real socket) reaches no table, no log line and no file under the data directory.
// A canary value that is meant to be stored proves that each scan can see what is there.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { batch, event } from '../support/batch.ts'

const CLIENT_IP = '81.2.69.160'
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15'
const CANARY = 'veil-canary-c4f3b1'
// The canary is a value of a closed list the plan declares: stored as it is whoever sends it.
// An open-ended value of one person would be a token (PRIVACY.md 17), which no scan could see.
const canaryPlan = { mode: 'open' as const, events: { canary_kept: { props: { note: { kind: 'enum' as const, values: [CANARY] } } } } }

/** Each string that must not survive, and why it was planted. */
const PLANTED = {
  userEmail: 'jane.doe@example.com',
  sessionId: 'sess-planted-9f8e7d',
  orgName: 'ACME Plant Seven GmbH',
  feedbackEmail: 'max.mustermann@firma.de',
  phone: '+49 170 1234567',
  iban: 'DE89370400440532013000',
  card: '4111 1111 1111 1111',
  urlToken: 's3cr3t-t0k3n-4242',
  pathEmail: 'hans.huber@werk.example',
  clientIp: CLIENT_IP,
  truncatedIp: '81.2.69.0',
  userAgent: 'Intel Mac OS X 10_15_7',
  userAgentEngine: 'AppleWebKit/605.1.15',
  proxyIp: '10.9.8.7',
} as const

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? filesUnder(p) : [p]
  })
}

/** The whole check, for one server configuration (e.g. WRITE_MODE). */
export function definePrivacySuite(env: Record<string, string>): void {
  let s: TestServer
  const logs: string[] = []

  beforeAll(async () => {
    s = await startTestServer({
      apps: [testApp('test-app', { plan: canaryPlan })],
      env: { TRUST_PROXY: '127.0.0.1,10.0.0.0/8', LOG_LEVEL: 'debug', ...env },
      logDestination: { write: (line: string) => void logs.push(line) },
    })
    const events = [
      event({ name: 'login', user_id: PLANTED.userEmail, session_id: PLANTED.sessionId, org_id: PLANTED.orgName, props: { method: 'sso' } }),
      event({ name: 'canary_kept', user_id: PLANTED.userEmail, props: { note: CANARY } }),
      event({
        name: 'feedback',
        user_id: PLANTED.userEmail,
        props: { rating: 4, text: `Mail me at ${PLANTED.feedbackEmail} or call ${PLANTED.phone}; refund to ${PLANTED.iban}, card ${PLANTED.card}`, topic: 'reports' },
      }),
      event({ name: 'page_view', props: { path: `/users/${PLANTED.pathEmail}/orders/123456?session=${PLANTED.urlToken}#top`, referrer_path: `https://portal.example.com/reset?token=${PLANTED.urlToken}` } }),
      event({ name: 'report_query', props: { report: `export for ${PLANTED.userEmail}`, duration_ms: 1840, status: 'ok', link: `https://portal.example.com/r?token=${PLANTED.urlToken}` } }),
      // Rejected events go to quarantine: it must be as clean as the events table.
      { ...event({ user_id: PLANTED.userEmail, props: { text: `call ${PLANTED.phone}` } }), name: 'Not A Valid Name' },
    ]
    const res = await fetch(`${s.url}/v1/batch`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', 'User-Agent': UA, 'X-Forwarded-For': `${CLIENT_IP}, ${PLANTED.proxyIp}` },
      body: JSON.stringify(batch(s.writeKey, events)),
    })
    expect(res.status).toBe(202)
    // report_query's required `report` holds an e-mail address: not a token, so the event is rejected.
    expect(((await res.json()) as { accepted: number }).accepted).toBe(4)
    // A request that fails validation entirely is logged nowhere with its content either.
    await fetch(`${s.url}/v1/batch`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: `{"key":"${PLANTED.userEmail}","events":[` })
    await s.veil.writer.flush()
    await s.stop() // flushes the quarantine writer and closes storage: everything is on disk
  })

  const reopen = () => startTestServer({ dataDir: s.dataDir, listen: false })

  describe('planted personal data', () => {
    let tables: Record<string, string> = {}
    let reopened: TestServer

    beforeAll(async () => {
      reopened = await reopen()
      const names = await reopened.query<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase()')
      for (const { name } of names) {
        const rs = await reopened.veil.storage.client.query({ query: `SELECT * FROM ${name}`, format: 'JSONEachRow' })
        tables[name] = await rs.text()
      }
    })
    afterAll(() => reopened?.stop())

    it('stored what it should, with the coarse facts filled in', async () => {
      expect(tables.events).toContain(CANARY)
      const [row] = await reopened.query<Record<string, string>>(
        "SELECT country, city, browser, os, device_type, user_hash, org_hash FROM events WHERE name = 'login'",
      )
      expect(row).toMatchObject({ country: 'GB', city: 'London', browser: 'Safari', os: 'Mac OS', device_type: 'desktop' })
      expect(row!.user_hash).toMatch(/^[0-9a-f]{16}$/)
      expect(row!.org_hash).toMatch(/^[0-9a-f]{16}$/)
      // Quarantine keeps the shape of a rejected event; an undeclared name only as its length.
      expect(tables.quarantine).toContain('[undeclared name: 16 chars]')
    })

    it.each(Object.entries(PLANTED))('reaches no table: %s', (_what, value) => {
      for (const [table, text] of Object.entries(tables)) {
        expect({ table, found: text.includes(value) }).toEqual({ table, found: false })
      }
    })

    it.each(Object.entries(PLANTED))('reaches no log line: %s', (_what, value) => {
      expect(logs.length).toBeGreaterThan(0)
      expect(logs.filter((l) => l.includes(value))).toEqual([])
    })

    it('reaches no file under the data directory', () => {
      const files = filesUnder(s.dataDir)
      const contents = files.map((f) => readFileSync(f))
      // The canary is stored, so the scan can see stored strings in these files.
      expect(contents.some((c) => c.includes(CANARY))).toBe(true)
      for (const value of Object.values(PLANTED)) {
        const hits = files.filter((_, i) => contents[i]!.includes(value))
        expect({ value, hits }).toEqual({ value, hits: [] })
      }
    })
  })
}
