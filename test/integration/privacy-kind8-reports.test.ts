// Issue 10, kind 8 (reports): one person active on many days, through the real ingestion path
// with an injected clock (a new salt, so a new hash, every day), never shows in any report, in
// any range or bucket, and no two answers differ by a hidden cell. A crowd of k+ people sending
// the same kinds of events is the control: it is shown, so the checks can see what is there.
// The person's events are in the events table by design; what k-anonymity guards is what the
// reports API (and the dashboard, which reads it) answers, and the log lines of those requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { createStatsRoutes } from '../../src/query/routes.ts'

const DAY_MS = 86_400_000
const DAYS = 7
const CROWD = 10
/** Values only the lone person produced: none may appear in any answer. */
const SOLO = { name: 'logout', path: '/solo-corner', report: 'solo_report', text: 'solo feedback words' } as const
/** Values of the crowd: each must appear, so the scans are shown able to see. */
const CONTROL = { name: 'login', path: '/home', report: 'weekly' } as const

const today = Date.parse(new Date().toISOString().slice(0, 10))
// Days relative to today, from tomorrow on: the engine's TTLs run on the wall clock, and a salt
// whose 48 hours after retirement are already past on the wall clock is dropped as it is written.
const days = Array.from({ length: DAYS }, (_, i) => new Date(today + (i + 1) * DAY_MS).toISOString().slice(0, 10))
let clock = today

let s: TestServer
const logs: string[] = []
const app = testApp('kind8', { k_anonymity: 5, salt_rotation_hours: 24 })

function dayEvents(): unknown[] {
  const out: unknown[] = []
  const at = (user: string, name: string, props: Record<string, string | number | boolean> = {}, metrics?: unknown) => out.push(event({ name, ts: clock, user_id: user, props, ...(metrics ? { metrics } : {}) }))
  for (let u = 1; u <= CROWD; u++) {
    const user = `crowd-member-${String.fromCharCode(96 + u)}`
    at(user, 'login', { method: 'sso' })
    at(user, 'page_view', { path: '/home' })
    at(user, 'report_query', { report: 'weekly', duration_ms: 100, status: 'ok' })
    if (u <= 6) at(user, 'page_view', { path: '/reports' }), at(user, 'report_query', { report: 'monthly', duration_ms: 200, status: 'ok' })
  }
  const solo = 'the-lone-person'
  at(solo, 'login', { method: 'sso' })
  at(solo, SOLO.name, { reason: 'manual' })
  at(solo, 'page_view', { path: SOLO.path })
  at(solo, 'report_query', { report: SOLO.report, duration_ms: 5000, status: 'ok' })
  at(solo, 'feedback', { rating: 2, text: SOLO.text })
  return out
}

async function get(path: string): Promise<Record<string, unknown>> {
  const res = await s.veil.app.request(path, { headers: { Authorization: `Bearer ${app.read_keys[0]}` } })
  const body = (await res.json()) as Record<string, unknown>
  expect(res.status, JSON.stringify(body)).toBe(200)
  return body
}

const REPORTS = ['events', 'breakdown?dimension=country', 'breakdown?dimension=browser&event=page_view', 'pages', 'crashes', 'sessions', 'report-queries', 'imports', 'changes', 'feedback']
const q = (report: string, from: string, to: string, interval = 'day') => `/v1/stats/${report}${report.includes('?') ? '&' : '?'}from=${from}&to=${to}&interval=${interval}`

beforeAll(async () => {
  // Exact figures (REPORT_NOISE=off), so that the totals below can be counted by hand; the same
  // suppression with noise on is checked through routes with a key over the same store.
  s = await startTestServer({ apps: [app], now: () => clock, listen: false, env: { LOG_LEVEL: 'debug', REPORT_NOISE: 'off' }, logDestination: { write: (l: string) => void logs.push(l) } })
  for (const day of days) {
    clock = Date.parse(`${day}T12:00:00Z`)
    const res = await s.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, dayEvents(), { sent_at: clock })))
    expect(res.status, await res.text()).toBe(202)
    await s.veil.writer.flush()
    // The crowd's values reach k each day and are published (PRIVACY.md 17); the person's never.
    await s.veil.values.flush()
    await s.veil.values.publisher.publishNow()
  }
}, 120_000)
afterAll(() => s?.stop())

describe('one person active on many days', () => {
  it('has a new hash every day: the events table holds one hash per salt period for them', async () => {
    const rows = await s.query<{ n: string }>("SELECT uniqExact(user_hash) AS n FROM events WHERE name = {n:String}", { n: SOLO.name })
    // Counted over the range as before, these would be 7 "users" and pass k = 5.
    expect(Number(rows[0]!.n)).toBe(DAYS)
  })

  it('is suppressed in every report, for every range and bucket', { timeout: 180_000 }, async () => {
    const seen = { control: new Set<string>() }
    for (let a = 0; a < DAYS; a++) {
      for (let b = a; b < DAYS; b++) {
        for (const interval of b - a >= 5 ? ['day', 'week'] : ['day']) {
          for (const report of REPORTS) {
            const text = JSON.stringify(await get(q(report, days[a]!, days[b]!, interval)))
            for (const [what, v] of Object.entries(SOLO)) expect({ report, range: [a, b], what, found: text.includes(v) }).toMatchObject({ found: false })
            for (const v of Object.values(CONTROL)) if (text.includes(`"${v}"`)) seen.control.add(v)
          }
        }
      }
    }
    expect([...seen.control].sort()).toEqual(Object.values(CONTROL).sort())
  })

  it('is suppressed in every report with noise on too, for ranges from the first day, by day and week', { timeout: 180_000 }, async () => {
    const noisy = createStatsRoutes({ client: s.veil.storage.client, apps: s.veil.apps, now: () => clock, noiseKey: Buffer.alloc(32, 8) })
    for (let b = 0; b < DAYS; b++) {
      for (const interval of ['day', 'week']) {
        for (const report of REPORTS) {
          const res = await noisy.request(q(report, days[0]!, days[b]!, interval), { headers: { Authorization: `Bearer ${app.read_keys[0]}` } })
          expect(res.status).toBe(200)
          const text = await res.text()
          for (const [what, v] of Object.entries(SOLO)) expect({ report, range: [0, b], what, found: text.includes(v) }).toMatchObject({ found: false })
        }
      }
    }
    // The answers scanned are the released ones: the crowd's 45 events a day (11 people in each
    // day atom, near the gate's k + 10) are not read exactly, as they are without noise below.
    const all = await noisy.request(q('events', days[0]!, days[DAYS - 1]!), { headers: { Authorization: `Bearer ${app.read_keys[0]}` } })
    expect(((await all.json()) as { total: { events: number } }).total.events).not.toBe(45 * DAYS)
  })

  it('counts in no total: every range holds exactly the crowd slices, day after day', async () => {
    // Per day, shown: login 11 (crowd + the person), page_view 17 and report_query 17 (their
    // slices have 11 users). Hidden: the person's logout and feedback (one user each).
    for (let a = 0; a < DAYS; a++) {
      for (let b = a; b < DAYS; b++) {
        const r = (await get(q('events', days[a]!, days[b]!))) as { total: { events: number; users: number }; names: { name: string }[] }
        expect(r.total.events).toBe(45 * (b - a + 1))
        expect(r.total.users).toBe((CROWD + 1) * (b - a + 1))
        expect(r.names.map((n) => n.name).sort()).toEqual(['login', 'page_view', 'report_query'])
      }
    }
  })

  it("lists no hidden name, path or report, and shows the crowd's", async () => {
    const events = (await get(q('events', days[0]!, days[DAYS - 1]!))) as { names: { name: string }[]; series: { name: string }[] }
    expect(events.names.map((n) => n.name)).not.toContain(SOLO.name)
    expect(events.series.map((n) => n.name)).not.toContain(SOLO.name)
    const pages = (await get(q('pages', days[0]!, days[DAYS - 1]!))) as { paths: { path: string; views: number }[]; other: { value: number } }
    // The person's path (1 user) leaves fewer than k hidden, so /reports (6) is hidden with it.
    expect(pages.paths).toEqual([{ path: '/home', users: CROWD * DAYS, views: CROWD * DAYS, suppressed: false }])
    expect(pages.other).toEqual({ value: 7 * DAYS })
    const reports = (await get(q('report-queries', days[0]!, days[DAYS - 1]!))) as { reports: { report: string }[] }
    expect(reports.reports.map((r) => r.report)).toEqual(['weekly'])
    const feedback = (await get(q('feedback', days[0]!, days[DAYS - 1]!))) as { themes: unknown[]; ratings: { rating: number; suppressed: boolean }[] }
    expect(feedback.themes).toEqual([])
    // The person's rating (2, one person) answers as a rating never used (issue 26, "Existence").
    expect(feedback.ratings.find((r) => r.rating === 2)).toEqual({ rating: 2, users: 0, count: 0, suppressed: false })
  })

  it('asked for by name, answers as for a name never used: no series, a suppressed total', async () => {
    for (const name of [SOLO.name, 'rule_remove']) {
      const events = (await get(q(`events?event=${name}`, days[0]!, days[DAYS - 1]!))) as { series: unknown[] }
      expect(events.series).toEqual([])
      const breakdown = (await get(q(`breakdown?dimension=country&event=${name}`, days[0]!, days[DAYS - 1]!))) as Record<string, unknown>
      expect({ total: breakdown.total, rows: breakdown.rows, other: breakdown.other }).toEqual({ total: { users: null, events: null, suppressed: true }, rows: [], other: null })
    }
    const control = (await get(q(`events?event=${CONTROL.name}`, days[0]!, days[DAYS - 1]!))) as { series: { name: string }[] }
    expect(control.series.map((x) => x.name)).toEqual([CONTROL.name])
  })
})

describe('differencing', () => {
  /** Every additive figure of an answer, by a stable path, for comparing answers. */
  function figures(v: unknown, path = '', out = new Map<string, number>()): Map<string, number> {
    if (Array.isArray(v)) v.forEach((x, i) => figures(x, `${path}[${(x as { name?: string; value?: string; path?: string; report?: string })?.name ?? (x as { value?: string })?.value ?? (x as { path?: string })?.path ?? (x as { report?: string })?.report ?? i}]`, out))
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) figures(x, `${path}.${k}`, out)
    else if (typeof v === 'number' && /\.(events|views|queries|count|value|imports|failed)$/.test(path) && !/points|meta|buckets/.test(path)) out.set(path, v)
    return out
  }

  it('two overlapping ranges differ by exactly what the days between them show', async () => {
    for (const report of ['events', 'breakdown?dimension=country', 'breakdown?dimension=os&event=login', 'pages', 'report-queries', 'feedback']) {
      for (let b = 1; b < DAYS; b++) {
        const longer = figures(await get(q(report, days[0]!, days[b]!)))
        const shorter = figures(await get(q(report, days[0]!, days[b - 1]!)))
        const day = figures(await get(q(report, days[b]!, days[b]!)))
        expect(longer.size).toBeGreaterThan(0)
        for (const key of new Set([...longer.keys(), ...shorter.keys(), ...day.keys()])) {
          expect({ report, b, key, diff: (longer.get(key) ?? 0) - (shorter.get(key) ?? 0) }).toEqual({ report, b, key, diff: day.get(key) ?? 0 })
        }
      }
    }
  })

  it('a breakdown with an event filter and without it never differ by a hidden cell', async () => {
    const all = (await get(q('breakdown?dimension=browser', days[0]!, days[DAYS - 1]!))) as { rows: { value: string; events: number }[]; total: { events: number }; other: { events: number } | null }
    const names = ['login', 'page_view', 'report_query', SOLO.name, 'feedback']
    let sum = 0
    for (const n of names) {
      const one = (await get(q(`breakdown?dimension=browser&event=${n}`, days[0]!, days[DAYS - 1]!))) as { rows: { value: string; events: number }[] }
      sum += one.rows.reduce((x, r) => x + r.events, 0)
    }
    // The rows for all events are the sum of the rows per name: nothing else is in them.
    expect(all.rows.reduce((x, r) => x + r.events, 0)).toBe(sum)
    expect(all.total.events).toBe(all.rows.reduce((x, r) => x + r.events, 0) + (all.other?.events ?? 0))
  })
})

describe('logs', () => {
  it('no log line carries a hidden value; the request log is there', () => {
    expect(logs.length).toBeGreaterThan(0)
    for (const v of [SOLO.path, SOLO.report, SOLO.text, 'the-lone-person']) expect(logs.filter((l) => l.includes(v))).toEqual([])
  })
})
