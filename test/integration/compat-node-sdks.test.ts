// The official posthog-node and @segment/analytics-node, unchanged, sending to a real Veil node
// (real socket, embedded ClickHouse): events arrive and are stored once with hashed ids and no
// trait, e-mail or token; a send whose answer is lost after Veil committed it is retried by the
// SDK and still stored once (deterministic ids from uuid / messageId, deduplicated).
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PostHog } from 'posthog-node'
import { Analytics } from '@segment/analytics-node'
import { startTestServer, type TestServer } from '../support/server.ts'
import { compatApp, everythingStored, runId, storedRows, until } from '../support/compat.ts'

let s: TestServer
const app = compatApp('sdk-app')
const key = app.write_keys[0]!

beforeAll(async () => {
  s = await startTestServer({ apps: [app] })
})
afterAll(() => s?.stop())

/**
 * A failing network between SDK and Veil: forwards every request, but for the first `lose`
 * requests to a path it drops the connection after Veil has answered, so the SDK never learns
 * that its events were committed and sends them again.
 */
async function lossyProxy(target: string, lose: number, pathPrefix: string): Promise<{ url: string; lost: () => number; sent: () => number; close: () => Promise<void> }> {
  let lost = 0
  let sent = 0
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.url?.startsWith(pathPrefix)) sent++
      const up = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        const body: Buffer[] = []
        answer.on('data', (c: Buffer) => body.push(c))
        answer.on('end', () => {
          if (req.url?.startsWith(pathPrefix) && lost < lose && answer.statusCode === 200) {
            lost++
            req.socket.destroy()
            return
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          res.end(Buffer.concat(body))
        })
      })
      up.on('error', () => res.destroy())
      up.end(Buffer.concat(chunks))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lost: () => lost,
    /** Requests to the path that reached Veil: more than one means the SDK sent again. */
    sent: () => sent,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()) }),
  }
}

describe('posthog-node', () => {
  it('stores captured events once, ids hashed, identify and person properties dropped', async () => {
    const run = runId()
    const ph = new PostHog(key, { host: `${s.url}/posthog`, flushAt: 10, flushInterval: 0 })
    try {
      ph.identify({ distinctId: 'anna@example.com', properties: { email: 'anna@example.com', name: 'Anna Beispiel' } })
      ph.capture({ distinctId: 'anna@example.com', event: 'Report Run', properties: { run, 'Report Kind': 'monthly', rows: 12, $set: { email: 'anna@example.com' } }, groups: { company: 'customer-77' } })
      ph.capture({ distinctId: 'anna@example.com', event: 'button clicked', properties: { run } })
    } finally {
      await ph.shutdown()
    }
    const rows = await until(() => storedRows(s, app.id, run), (r) => r.length >= 2, 'posthog-node events')
    expect(rows.map((r) => r.name).sort()).toEqual(['button_clicked', 'report_run'])
    const report = rows.find((r) => r.name === 'report_run')!
    expect(report.props.report_kind).toBe('monthly')
    expect(report.metrics.rows).toBe(12)
    expect(report.user_hash).toMatch(/^[0-9a-f]{16,}$/)
    expect(report.org_hash).not.toBe('')
    const all = await everythingStored(s, app.id)
    for (const secret of ['anna@example.com', 'Anna Beispiel', 'customer-77', key]) expect(all).not.toContain(secret)
  })

  it('stores a batch once when its answer was lost and the SDK sent it again', async () => {
    const run = runId()
    const proxy = await lossyProxy(s.url, 1, '/posthog/batch')
    const ph = new PostHog(key, { host: `${proxy.url}/posthog`, flushAt: 10, flushInterval: 0, fetchRetryDelay: 50 })
    try {
      for (let i = 0; i < 3; i++) ph.capture({ distinctId: `u${i}`, event: 'report run', properties: { run } })
      await ph.shutdown()
    } finally {
      await proxy.close()
    }
    expect(proxy.lost()).toBe(1)
    expect(proxy.sent()).toBeGreaterThanOrEqual(2)
    const rows = await until(() => storedRows(s, app.id, run), (r) => r.length >= 3, 'three events')
    expect(rows).toHaveLength(3)
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(3)
  })
})

// analytics-node joins host and path with new URL(path, host), which drops a path in `host`:
// Veil's path goes in `path` (docs/compat.md).
describe('@segment/analytics-node', () => {
  it('stores tracked events once, ids hashed, identify, group and traits dropped', async () => {
    const run = runId()
    const analytics = new Analytics({ writeKey: key, host: s.url, path: '/segment/v1/batch', flushInterval: 50 })
    analytics.identify({ userId: 'anna@example.com', traits: { email: 'anna@example.com', name: 'Anna Beispiel' } })
    analytics.group({ userId: 'anna@example.com', groupId: 'customer-77', traits: { name: 'ACME GmbH' } })
    analytics.track({ userId: 'anna@example.com', anonymousId: 'anon-1', event: 'Report Run', properties: { run, 'Report Kind': 'monthly', rows: 12 } })
    analytics.page({ userId: 'anna@example.com', name: 'Orders', properties: { run, path: `/orders/${run}/48213`, url: `https://shop.example.com/orders/${run}/48213?email=anna@example.com` } })
    await analytics.closeAndFlush({ timeout: 15_000 })
    const rows = await until(() => storedRows(s, app.id, run), (r) => r.length >= 2, 'analytics-node events')
    expect(rows.map((r) => r.name).sort()).toEqual(['page_view', 'report_run'])
    expect(rows.find((r) => r.name === 'page_view')!.props.path).toBe(`/orders/${run}/:id`)
    const report = rows.find((r) => r.name === 'report_run')!
    expect(report.props.report_kind).toBe('monthly')
    expect(report.user_hash).toMatch(/^[0-9a-f]{16,}$/)
    expect(report.session_hash).not.toBe('')
    const all = await everythingStored(s, app.id)
    for (const secret of ['anna@example.com', 'Anna Beispiel', 'ACME', key]) expect(all).not.toContain(secret)
  })

  it('stores a batch once when its answer was lost and the SDK sent it again', async () => {
    const run = runId()
    const proxy = await lossyProxy(s.url, 1, '/segment/v1/batch')
    try {
      const analytics = new Analytics({ writeKey: key, host: proxy.url, path: '/segment/v1/batch', flushInterval: 50 })
      for (let i = 0; i < 3; i++) analytics.track({ userId: `u${i}`, event: 'Report Run', properties: { run } })
      await analytics.closeAndFlush({ timeout: 15_000 })
    } finally {
      await proxy.close()
    }
    expect(proxy.lost()).toBe(1)
    expect(proxy.sent()).toBeGreaterThanOrEqual(2)
    const rows = await until(() => storedRows(s, app.id, run), (r) => r.length >= 3, 'three events')
    expect(rows).toHaveLength(3)
  })
})
