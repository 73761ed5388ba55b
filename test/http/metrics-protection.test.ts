// /metrics holds nothing that moves with one person unless it is protected (PRIVACY.md 19): the
// public port without METRICS_TOKEN serves the process's series only; the separate listener
// (METRICS_PORT, loopback by default) serves every series; every counter of a closed label set
// is there at 0 before the first event, so increase() sees the first incident; and no label
// takes a value from the request (an odd HTTP method is counted as "other").
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'

let s: TestServer
const app = testApp('metrics-app')

beforeAll(async () => {
  s = await startTestServer({ apps: [app], env: { METRICS_PORT: '0' } })
})
afterAll(() => s?.stop())

const publicScrape = async () => (await fetch(`${s.url}/metrics`)).text()
const separateScrape = async () => {
  const res = await fetch(`http://127.0.0.1:${s.veil.metricsPort}/metrics`)
  expect(res.status).toBe(200)
  return res.text()
}
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('the separate metrics listener', () => {
  it('listens on loopback by default, on a port of its own', () => {
    expect(s.veil.config.METRICS_HOST).toBe('127.0.0.1')
    expect(s.veil.metricsPort).toBeGreaterThan(0)
    expect(s.veil.metricsPort).not.toBe(s.port)
  })

  it('has every counter of a closed label set at 0 before the first event', async () => {
    const text = await separateScrape()
    const a = app.id
    expect(value(text, `veil_accepted_events_total{app="${a}"}`)).toBe(0)
    expect(value(text, `veil_duplicate_events_total{app="${a}"}`)).toBe(0)
    expect(value(text, `veil_rate_limited_total{app="${a}"}`)).toBe(0)
    for (const reason of ['bot', 'gpc']) expect(value(text, `veil_dropped_events_total{app="${a}",reason="${reason}"}`)).toBe(0)
    for (const reason of ['invalid', 'not_in_plan', 'invalid_prop', 'too_old', 'too_far_in_future']) {
      expect(value(text, `veil_rejected_events_total{app="${a}",reason="${reason}"}`)).toBe(0)
    }
    for (const reason of ['overloaded', 'timeout', 'failed', 'shutdown', 'clock']) expect(value(text, `veil_unavailable_total{reason="${reason}"}`)).toBe(0)
    expect(value(text, 'veil_internal_errors_total')).toBe(0)
    expect(value(text, 'veil_quarantine_write_failures_total')).toBe(0)
    expect(value(text, 'veil_compat_dropped_events_total{dialect="segment",reason="metrics"}')).toBe(0)
  })

  it('counts one person\'s event there, and only there', async () => {
    const res = await fetch(`${s.url}/v1/batch`, post(batch(app.write_keys[0]!, [event({ user_id: 'one-person' })])))
    expect(res.status).toBe(202)
    expect(value(await separateScrape(), `veil_accepted_events_total{app="${app.id}"}`)).toBe(1)
    const open = await publicScrape()
    expect(open).not.toContain('veil_accepted_events_total')
    expect(open).not.toMatch(/app="/)
  })
})

describe('GET /metrics on the public port without METRICS_TOKEN', () => {
  it('serves the process\'s series only: no per-app, per-event or per-route count', async () => {
    const text = await publicScrape()
    expect(text).toContain('veil_process_cpu_seconds_total')
    expect(text).toContain('veil_nodejs_eventloop_lag_seconds')
    const families = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!))
    expect(families.size).toBeGreaterThan(5)
    for (const f of families) expect(f).toMatch(/^veil_(process|nodejs)_/)
  })
})

describe('labels', () => {
  it('take no value from the request: an odd method is "other"', async () => {
    const res = await fetch(`${s.url}/v1/batch`, { method: 'PROPFIND' })
    expect(res.status).toBe(404)
    const text = await separateScrape()
    expect(text).not.toContain('PROPFIND')
    expect(value(text, 'veil_http_requests_total{route="unmatched",method="other",status="404"}')).toBe(1)
  })
})
