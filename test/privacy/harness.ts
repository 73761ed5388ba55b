// The planted-data harness of issue 10 (kinds 1-7): one real server per kind (real socket,
// trusted proxy, embedded chDB, debug logs), personal data of that kind planted in real
// requests, then four scans: every table (quarantine included), every log line, every file
// under the data directory and every API answer (the batch answers, the plan, every report).
// A control value that is meant to be stored proves each scan can see what is there.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { ENDPOINTS } from '../../src/query/endpoints.ts'
import type { AppConfig } from '../../src/apps/apps.ts'

export const CHROME_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'

export interface Sent {
  status: number
  body: Record<string, unknown>
}

export interface PlantContext {
  server: TestServer
  /** Posts one batch (body as given) through the trusted proxy; the answer is scanned too. */
  post(body: unknown, headers?: Record<string, string>): Promise<Sent>
  key: string
}

export interface KindSpec {
  /** The app's tracking plan (strict by default, as in production). */
  plan?: AppConfig['plan']
  /** Sends the planted data (and the control). */
  plant(ctx: PlantContext): Promise<void>
  /** Fragments that must appear nowhere: the personal core of each planted value. */
  planted: Record<string, string>
  /** Stored on purpose: every table scan and the file scan must find it. */
  control: string
  /** Shown on purpose in an API answer (a report or the plan), so the answer scan can see. */
  apiControl: string
  /** Further checks on the stored rows, with the server reopened. */
  stored?: (server: TestServer) => Promise<void>
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? filesUnder(p) : [p]
  })
}

export function definePlantedKind(title: string, spec: KindSpec): void {
  let s: TestServer
  let reopened: TestServer
  const logs: string[] = []
  const answers: string[] = []
  const tables: Record<string, string> = {}
  let appId = ''

  beforeAll(async () => {
    const app = testApp('privacy-kind', { k_anonymity: 2, plan: spec.plan ?? { mode: 'strict', events: {} } })
    appId = app.id
    s = await startTestServer({
      apps: [app],
      // Every series of /metrics is scanned too: with the token they are all served. Exact report
      // figures (REPORT_NOISE=off): noise only hides more, and the control cells of a few users
      // must stay shown; the noise's own suppression is checked in test/integration.
      env: { TRUST_PROXY: '127.0.0.1,10.0.0.0/8', LOG_LEVEL: 'debug', METRICS_TOKEN: 'metrics-token-0123456789', REPORT_NOISE: 'off' },
      logDestination: { write: (line: string) => void logs.push(line) },
    })
    const post = async (body: unknown, headers: Record<string, string> = {}): Promise<Sent> => {
      const res = await fetch(`${s.url}/v1/batch`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', 'User-Agent': CHROME_UA, 'X-Forwarded-For': '81.2.69.160, 10.9.8.7', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      })
      const text = await res.text()
      answers.push(text)
      return { status: res.status, body: JSON.parse(text) as Record<string, unknown> }
    }
    await spec.plant({ server: s, post, key: s.writeKey })
    await s.veil.writer.flush()
    // Values k people sent are published (PRIVACY.md 17): the controls, sent by three people.
    await s.veil.values.flush()
    await s.veil.values.publisher.publishNow()
    const read = (path: string) => fetch(`${s.url}${path}`, { headers: { Authorization: `Bearer ${s.readKey}` } }).then((r) => r.text())
    answers.push(await read('/v1/plan'), await read('/v1/plan?format=ts'), await (await fetch(`${s.url}/metrics`, { headers: { Authorization: 'Bearer metrics-token-0123456789' } })).text())
    for (const e of ENDPOINTS) answers.push(await read(e.path))
    for (const dimension of ['country', 'os', 'browser', 'device_type', 'lang', 'screen', 'app_version']) {
      answers.push(await read(`/v1/stats/breakdown?dimension=${dimension}`))
    }
    await s.stop() // flushes the quarantine writer and closes storage: everything is on disk
    reopened = await startTestServer({ dataDir: s.dataDir, listen: false, apps: [app] })
    const names = await reopened.query<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase()')
    for (const { name } of names) {
      const rs = await reopened.veil.storage.client.query({ query: `SELECT * FROM ${name}`, format: 'JSONEachRow' })
      tables[name] = await rs.text()
    }
  })
  afterAll(() => reopened?.stop())

  describe(title, () => {
    it('stores the control value, so the scans are shown able to see', () => {
      expect(Object.values(tables).some((t) => t.includes(spec.control)), 'control in a table').toBe(true)
      const contents = filesUnder(s.dataDir).map((f) => readFileSync(f))
      expect(contents.some((c) => c.includes(spec.control)), 'control in a file').toBe(true)
      expect(answers.some((a) => a.includes(spec.apiControl)), 'api control in an answer').toBe(true)
      expect(logs.length, 'log lines').toBeGreaterThan(0)
    })

    it.each(Object.entries(spec.planted))('reaches no table, quarantine included: %s', (_what, value) => {
      for (const [table, text] of Object.entries(tables)) {
        expect({ table, found: text.includes(value) }).toEqual({ table, found: false })
      }
    })

    it.each(Object.entries(spec.planted))('reaches no log line: %s', (_what, value) => {
      expect(logs.filter((l) => l.includes(value))).toEqual([])
    })

    it.each(Object.entries(spec.planted))('reaches no API answer: %s', (_what, value) => {
      expect(answers.filter((a) => a.includes(value))).toEqual([])
    })

    it('reaches no file under the data directory', () => {
      const files = filesUnder(s.dataDir)
      const contents = files.map((f) => readFileSync(f))
      for (const value of Object.values(spec.planted)) {
        const hits = files.filter((_, i) => contents[i]!.includes(value))
        expect({ value, hits }).toEqual({ value, hits: [] })
      }
    })

    if (spec.stored) it('stores the coarse, safe form instead', () => spec.stored!(reopened))
  })

  void appId
}

/** n distinct users' ids, so a cell passes k = 2 and shows in the reports. */
export const usersOf = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`)
