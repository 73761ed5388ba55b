// Numbers keep two significant digits (issue 25), and the reports are computed on those values:
// report_query durations generated in several locales go through POST /v1/batch into the real
// chDB and come back from /v1/stats/report-queries with an average within 1 % of the exact one
// (p50 and p95 within 5 %), while every stored duration has at most two significant digits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fakerDE, fakerEN_US, fakerFR, fakerJA, type Faker } from '@faker-js/faker'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'

const FAKERS: Faker[] = [fakerDE, fakerEN_US, fakerFR, fakerJA]
FAKERS.forEach((f, i) => f.seed(2550 + i))
const USERS = 8
const PER_BATCH = 50

let s: TestServer
const app = testApp('durations', { k_anonymity: 5, plan: { mode: 'strict', events: {} } })
const exact: number[] = []

beforeAll(async () => {
  // Exact figures (REPORT_NOISE=off): the rounding of values is what is checked, not the noise.
  s = await startTestServer({ apps: [app], env: { REPORT_NOISE: 'off' } })
  for (const f of FAKERS) {
    for (let b = 0; b < 10; b++) {
      // Durations over four orders of magnitude, skewed like real ones: many short, few long.
      const durations = Array.from({ length: PER_BATCH }, () => Math.exp(f.number.float({ min: Math.log(20), max: Math.log(600_000) })))
      exact.push(...durations)
      const events = durations.map((duration_ms, i) => event({ name: 'report_query', user_id: `user-${i % USERS}`, props: { report: 'monthly_summary', duration_ms, status: 'ok' } }))
      const res = await fetch(`${s.url}/v1/batch`, post(batch(s.writeKey, events)))
      expect(res.status).toBe(202)
    }
  }
  await s.veil.writer.flush()
  // The report name is shown once k people sent it (PRIVACY.md 17): published now, not on the next tick.
  await s.veil.values.publisher.publishNow()
})
afterAll(() => s?.stop())

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

describe('durations stored with two significant digits', () => {
  it('are stored rounded: no more than two significant digits each', async () => {
    const rows = await s.query<{ d: number }>("SELECT metrics['duration_ms'] AS d FROM events WHERE app_id = 'durations'")
    expect(rows).toHaveLength(exact.length)
    for (const { d } of rows) expect(d.toExponential().split('e')[0]!.replace(/[-.]/g, '').replace(/0+$/, '').length, String(d)).toBeLessThanOrEqual(2)
    // Most values moved, so the report below is computed on rounded values.
    const stored = new Set(rows.map((r) => r.d))
    expect(exact.filter((v) => stored.has(v)).length).toBeLessThan(exact.length / 100)
  })

  it('give the report an average within 1 % and percentiles within 5 % of the exact ones', async () => {
    const res = await fetch(`${s.url}/v1/stats/report-queries?app=durations`, { headers: { Authorization: `Bearer ${s.readKey}` } })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { reports: { report: string; queries: number; avg_ms: number; p50_ms: number; p95_ms: number }[] }
    const row = body.reports.find((r) => r.report === 'monthly_summary')!
    expect(row.queries).toBe(exact.length)
    expect(Math.abs(row.avg_ms / mean(exact) - 1)).toBeLessThan(0.01)
    const sorted = [...exact].sort((a, b) => a - b)
    const pct = (q: number) => sorted[Math.floor(q * (sorted.length - 1))]!
    // ClickHouse's quantiles are estimates themselves (a reservoir); 5 % covers both.
    expect(Math.abs(row.p50_ms / pct(0.5) - 1)).toBeLessThan(0.05)
    expect(Math.abs(row.p95_ms / pct(0.95) - 1)).toBeLessThan(0.05)
  })
})
