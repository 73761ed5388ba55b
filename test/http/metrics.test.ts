// GET /metrics as Prometheus scrapes it: the exposition text is parsed (HELP and TYPE before
// every family, well-formed samples) and each series an operator alerts on is found, with the
// labels it must carry, after real traffic through app.request(). With METRICS_TOKEN it wants
// the bearer token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'

const TOKEN = 'scrape-token-0123456789'
let s: TestServer
let failInserts = false

beforeAll(async () => {
  s = await startTestServer({
    listen: false,
    // Direct mode: the writer's own failures and retries are what /metrics shows here.
    env: { METRICS_TOKEN: TOKEN, WRITE_MODE: 'direct', WRITER_TIMEOUT_MS: '2000' },
    wrapInsert: (insert) => async (rows, token) => {
      if (failInserts) throw new Error('Code: 241. DB::Exception: Memory limit exceeded\nStack trace: ...')
      return insert(rows, token)
    },
  })
})
afterAll(() => s?.stop())

const send = (init: RequestInit, path = '/v1/batch') => s.veil.app.request(path, init)
const scrape = () => send({ headers: { Authorization: `Bearer ${TOKEN}` } }, '/metrics')

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** A strict reader of the text format 0.0.4: every sample belongs to a family with HELP and TYPE. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>()
  const helps = new Set<string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line)
    if (m) {
      helps.add(m[1]!)
      continue
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (m) {
      expect(helps.has(m[1]!), `HELP before TYPE of ${m[1]}`).toBe(true)
      types.set(m[1]!, m[2]!)
      continue
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    expect(m, `not a sample line: ${line}`).not.toBeNull()
    const [, name, rawLabels, value] = m!
    const labels: Record<string, string> = {}
    for (const l of (rawLabels ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!
    const family = name!.replace(/_(bucket|sum|count)$/, '')
    expect(types.has(name!) || types.get(family) === 'histogram', `TYPE declared for ${name}`).toBe(true)
    const v = Number(value!.replace(/^Nan$/i, 'NaN'))
    expect(Number.isNaN(v) && !/^nan$/i.test(value!), `number: ${line}`).toBe(false)
    samples.push({ name: name!, labels, value: v })
  }
  return { samples, types }
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))

describe('GET /metrics', () => {
  it('wants the bearer token when METRICS_TOKEN is set', async () => {
    expect((await send({}, '/metrics')).status).toBe(401)
    expect((await send({ headers: { Authorization: 'Bearer wrong-token-0123456789' } }, '/metrics')).status).toBe(401)
    const res = await scrape()
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  })

  it('has every series to alert on, with HELP and TYPE, after real traffic', async () => {
    const app = s.appId
    expect((await send(post(batch(s.writeKey, [event(), event({ name: 'Bad Name!' })])))).status).toBe(202)
    const bot = { 'User-Agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }
    expect((await send(post(batch(s.writeKey, [event()]), bot))).status).toBe(202)
    expect((await send({}, '/no/such/route')).status).toBe(404)
    failInserts = true
    try {
      expect((await send(post(batch(s.writeKey, [event()])))).status).toBe(503)
    } finally {
      failInserts = false
    }
    // The insert whose outcome was unknown is re-sent with the same rows and token (F6); once
    // it is in, nothing waits.
    await expect.poll(() => s.veil.writer.stats().pendingRows, { timeout: 10_000 }).toBe(0)

    const { samples, types } = parseExposition(await (await scrape()).text())
    const one = (name: string, labels?: Record<string, string>) => {
      const found = find(samples, name, labels)
      expect(found.length, `${name} ${JSON.stringify(labels ?? {})}`).toBeGreaterThan(0)
      return found[0]!.value
    }
    expect(one('veil_http_requests_total', { route: '/v1/batch', method: 'POST', status: '202' })).toBe(2)
    expect(one('veil_http_requests_total', { route: '/v1/batch', method: 'POST', status: '503' })).toBe(1)
    expect(one('veil_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' })).toBe(1)
    expect(types.get('veil_http_request_duration_seconds')).toBe('histogram')
    expect(one('veil_http_request_duration_seconds_count', { route: '/v1/batch', method: 'POST' })).toBe(3)
    expect(one('veil_http_request_duration_seconds_bucket', { route: '/v1/batch', method: 'POST', le: '+Inf' })).toBe(3)

    expect(one('veil_accepted_events_total', { app })).toBe(1)
    expect(one('veil_rejected_events_total', { app, reason: 'invalid' })).toBe(1)
    expect(one('veil_dropped_events_total', { app, reason: 'bot' })).toBe(1)
    expect(one('veil_unavailable_total', { reason: 'failed' })).toBe(1)

    expect(one('veil_insert_duration_seconds_count', { table: 'events', outcome: 'ok' })).toBeGreaterThanOrEqual(1)
    expect(one('veil_insert_duration_seconds_count', { table: 'events', outcome: 'failed' })).toBe(1)
    expect(one('veil_insert_failures_total', { table: 'events' })).toBe(1)
    // The stored-ids lookup's series exist from the start (docs/operations.md "Several nodes");
    // nothing here was stored before, so nothing is found.
    expect(types.get('veil_store_check_duration_seconds')).toBe('histogram')
    expect(one('veil_store_check_duration_seconds_count')).toBeGreaterThanOrEqual(0)
    expect(one('veil_store_check_ids_total')).toBeGreaterThanOrEqual(0)
    expect(one('veil_store_check_stored_total')).toBe(0)
    expect(one('veil_writer_pending_rows')).toBe(0)
    expect(one('veil_writer_oldest_pending_seconds')).toBe(0)
    expect(types.get('veil_writer_pending_rows')).toBe('gauge')
    expect(types.get('veil_writer_inserts_total')).toBe('counter')
    expect(types.get('veil_writer_failed_inserts_total')).toBe('counter')
    expect(one('veil_writer_failed_inserts_total')).toBe(1)

    // The batch above made this app's salt, held in memory; none is past its retirement.
    expect(one('veil_salts_held')).toBe(1)
    expect(one('veil_salt_overdue_seconds')).toBe(0)
    expect(one('veil_nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0)
    expect(one('veil_apps')).toBe(1)
  })

  it('carries no user data in any label', async () => {
    const text = await (await scrape()).text()
    expect(text).not.toContain(s.writeKey)
    expect(text).not.toMatch(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/)
    expect(text).not.toMatch(/Googlebot|Mozilla/)
  })
})
