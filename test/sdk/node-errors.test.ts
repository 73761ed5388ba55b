// No silent loss in the Node SDK (issue 11): a wrong key, a rejection with its reason, a policy
// drop and events left waiting for consent each reach onError once; a wrong key is logged once
// through the logger even without debug; debug logs every report. Against the real server where
// it can produce the case (401, rejection), a scripted node:http endpoint where it cannot (drops).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { WireBatch } from '../../sdk/core/catalog.ts'
import { createVeil, type Veil, type VeilError, type VeilNodeOptions } from '../../sdk/node/index.ts'
import { startTestServer, type TestServer } from '../support/server.ts'

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server?.stop())

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

interface Harness {
  veil: Veil
  errors: VeilError[]
  logged: string[]
}

function veilFor(o: Partial<VeilNodeOptions> = {}): Harness {
  const queueDir = mkdtempSync(join(tmpdir(), 'veil-errors-'))
  const errors: VeilError[] = []
  const logged: string[] = []
  const veil = createVeil({
    endpoint: server.url, key: server.writeKey, queueDir, captureCrashes: false, captureExit: false, env: {},
    onError: (e) => errors.push(e), logger: { warn: (m) => logged.push(m) }, ...o,
  })
  cleanups.push(async () => {
    await veil.shutdown(100)
    rmSync(queueDir, { recursive: true, force: true })
  })
  return { veil, errors, logged }
}

/** A scripted endpoint: answers every batch with `answer(batch)` as 202 JSON. */
async function scripted(answer: (b: WireBatch) => object): Promise<string> {
  const s: Server = createServer((req, res) => {
    let raw = ''
    req.on('data', (c: Buffer) => (raw += c.toString()))
    req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify(answer(JSON.parse(raw) as WireBatch))))
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  cleanups.push(() => new Promise((r) => s.close(r)))
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`
}

describe('Node SDK onError', () => {
  it('without retention, reports a wrong key once per refused batch, and logs it once through the logger without debug', async () => {
    // unauthorizedRetentionMs: 0 gives refused events up at once (kept by default: node-delivery-failures.test.ts).
    const h = veilFor({ key: 'wk_not_a_key_of_this_server', unauthorizedRetentionMs: 0 })
    h.veil.track('rule_add', { rule_type: 'x' })
    expect(await h.veil.flush()).toEqual({ delivered: 0, queued: 0 })
    h.veil.track('rule_add', { rule_type: 'y' })
    await h.veil.flush()
    // One report per refused request (app_start may have gone alone, at start), each event once.
    expect(h.errors.length).toBeGreaterThanOrEqual(2)
    expect(new Set(h.errors.map((e) => `${e.type} ${e.status}`))).toEqual(new Set(['unauthorized 401']))
    expect(h.errors.reduce((n, e) => n + e.count, 0)).toBe(3) // app_start and two rule_add
    expect(h.errors[0]!.message).toMatch(/unknown write key/)
    expect(h.logged).toHaveLength(1)
    expect(h.logged[0]).toMatch(/write key/)
    expect(h.veil.stats().dropped.client_error).toBe(3)
  })

  it('reports each rejected event with the server\'s reason, and delivers the rest', async () => {
    const h = veilFor()
    h.veil.track('report_query', { report: 'monthly', duration_ms: 'slow' as unknown as number, status: 'ok' })
    h.veil.track('rule_add', { rule_type: 'threshold' })
    expect(await h.veil.flush()).toEqual({ delivered: 2, queued: 0 })
    expect(h.errors).toEqual([{ type: 'rejected', count: 1, event: 'report_query', reason: expect.stringMatching(/duration_ms/), message: expect.any(String) }])
    expect(h.veil.stats()).toMatchObject({ delivered: 2, dropped: { rejected: 1 } })
    expect(h.logged).toEqual([])
  })

  it('reports events the server dropped by policy as dropped, with the policy', async () => {
    const url = await scripted((b) => ({ accepted: 0, rejected: [], dropped: b.events.map((_, index) => ({ index, reason: 'gpc', message: 'dropped: Global Privacy Control' })) }))
    const h = veilFor({ endpoint: url })
    h.veil.track('rule_add', { rule_type: 'x' })
    expect(await h.veil.flush()).toEqual({ delivered: 0, queued: 0 })
    expect(h.errors.map((e) => [e.type, e.event, e.reason])).toEqual([['dropped', 'app_start', 'gpc'], ['dropped', 'rule_add', 'gpc']])
    expect(h.veil.stats().dropped.dropped).toBe(2)
  })

  it('tells the app once, at shutdown, how many events wait on disk for consent', async () => {
    const h = veilFor({ consent: 'pending' })
    h.veil.track('rule_add', { rule_type: 'x' })
    h.veil.track('rule_add', { rule_type: 'y' })
    expect(await h.veil.flush()).toEqual({ delivered: 0, queued: 3 })
    await h.veil.shutdown(100)
    await h.veil.shutdown(100)
    expect(h.errors.map((e) => [e.type, e.count])).toEqual([['consent_pending', 4]]) // and app_stop
  })

  it('logs every report through the logger in debug mode', async () => {
    const h = veilFor({ debug: true })
    h.veil.track('report_query', { report: 'monthly', duration_ms: -1, status: 'ok' })
    await h.veil.flush()
    expect(h.errors).toHaveLength(1)
    expect(h.logged).toEqual([expect.stringMatching(/^\[veil\] rejected: .*duration_ms/)])
  })

  it('keeps working when the onError callback throws', async () => {
    const h = veilFor({ key: 'wk_not_a_key_of_this_server', unauthorizedRetentionMs: 0, onError: () => { throw new Error('app bug') } })
    h.veil.track('rule_add', { rule_type: 'x' })
    expect(await h.veil.flush()).toEqual({ delivered: 0, queued: 0 })
  })
})

describe('Node SDK flush()', () => {
  it('resolves with what it delivered and what is still queued', async () => {
    const h = veilFor()
    for (let i = 0; i < 30; i++) h.veil.track('rule_add', { rule_type: 'x', seq: i })
    expect(await h.veil.flush()).toEqual({ delivered: 31, queued: 0 })
    expect(await h.veil.flush()).toEqual({ delivered: 0, queued: 0 })
  })

  it('tries again when called during a backoff pause, and reports what is still queued', async () => {
    let requests = 0
    const s = createServer((req, res) => {
      requests++
      req.resume().on('end', () => res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"busy"}'))
    })
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    cleanups.push(() => new Promise((r) => s.close(r)))
    const h = veilFor({ endpoint: `http://127.0.0.1:${(s.address() as { port: number }).port}`, backoff: { baseMs: 60_000, maxMs: 60_000 } })
    h.veil.track('rule_add', { rule_type: 'x' })
    expect(await h.veil.flush()).toEqual({ delivered: 0, queued: 2 })
    const after = requests
    expect(after).toBeGreaterThanOrEqual(1)
    // A minute of backoff is pending; an explicit flush still tries once, then reports.
    expect(await h.veil.flush()).toEqual({ delivered: 0, queued: 2 })
    expect(requests).toBe(after + 1)
    // Retryable: nothing is lost; each failed attempt is reported as such (issue 28), nothing else.
    expect(h.errors.map((e) => `${e.type} ${e.cause}`)).toEqual(Array(requests).fill('delivery_failed HTTP 503'))
  })

  it('never tries before a Retry-After the server asked for', async () => {
    let requests = 0
    const s = createServer((req, res) => {
      requests++
      req.resume().on('end', () => res.writeHead(429, { 'retry-after': '600', 'content-type': 'application/json' }).end('{"error":"slow down"}'))
    })
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    cleanups.push(() => new Promise((r) => s.close(r)))
    const h = veilFor({ endpoint: `http://127.0.0.1:${(s.address() as { port: number }).port}` })
    await h.veil.flush()
    const after = requests
    expect(await h.veil.flush()).toEqual({ delivered: 0, queued: 1 })
    expect(requests).toBe(after)
  })

  it('reports a server that cannot be reached as still queued after trying', async () => {
    const h = veilFor({ endpoint: 'http://127.0.0.1:9', timeoutMs: 2000 })
    h.veil.track('rule_add', { rule_type: 'x' })
    expect(await h.veil.flush()).toEqual({ delivered: 0, queued: 2 })
    expect(await h.veil.flush()).toEqual({ delivered: 0, queued: 2 })
  })
})
