// On-prem delivery failures made visible (issue 28): every failed attempt reaches onError (and
// the log in debug mode) with its cause and the queue depth, and a refused key keeps the events
// on disk for unauthorizedRetentionMs, retried slowly, so a key fixed in time delivers them.
// Real sockets: a port nothing listens on, and a node:http endpoint scripted per test.
import { afterEach, describe, expect, it } from 'vitest'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { WireBatch } from '../../sdk/core/catalog.ts'
import { createVeil, type Veil, type VeilError, type VeilNodeOptions } from '../../sdk/node/index.ts'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** An endpoint answering each batch with `answer`; it records the ids of every batch it gets. */
async function endpoint(answer: (b: WireBatch, res: ServerResponse) => void): Promise<{ url: string; ids: string[] }> {
  const ids: string[] = []
  const s = createServer((req: IncomingMessage, res) => {
    let raw = ''
    req.on('data', (c: Buffer) => (raw += c.toString()))
    req.on('end', () => {
      const b = JSON.parse(raw) as WireBatch
      ids.push(...b.events.map((e) => e.id))
      answer(b, res)
    })
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  cleanups.push(() => new Promise((r) => s.close(r)))
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, ids }
}

const json = (res: ServerResponse, status: number, body: object) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))

function veilFor(o: Partial<VeilNodeOptions> & { endpoint: string }): { veil: Veil; errors: VeilError[]; logged: string[] } {
  const queueDir = mkdtempSync(join(tmpdir(), 'veil-failures-'))
  const errors: VeilError[] = []
  const logged: string[] = []
  const veil = createVeil({
    key: 'wk_test_key_1', queueDir, captureCrashes: false, captureExit: false, env: {}, backoff: { baseMs: 20, maxMs: 50 },
    onError: (e) => errors.push(e), logger: { warn: (m) => logged.push(m) }, ...o,
  })
  cleanups.push(async () => {
    await veil.shutdown(100)
    rmSync(queueDir, { recursive: true, force: true })
  })
  return { veil, errors, logged }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25))
  if (!check()) throw new Error(`not within 5 s: ${what}`)
}

describe('Node SDK delivery failures', () => {
  it('reports a server that is down with the socket error and the queue depth, and logs it in debug mode', async () => {
    const closed = await endpoint(() => {})
    await cleanups.pop()!() // nothing listens there any more
    const h = veilFor({ endpoint: closed.url, debug: true })
    h.veil.track('rule_add', { rule_type: 'x' })
    h.veil.track('rule_add', { rule_type: 'y' })
    expect(await h.veil.flush()).toEqual({ delivered: 0, queued: 3 })
    const failed = h.errors.filter((e) => e.type === 'delivery_failed')
    expect(failed.length).toBeGreaterThan(0)
    expect(failed.at(-1)).toMatchObject({ cause: 'ECONNREFUSED', queued: 3, retryInMs: expect.any(Number) })
    expect(failed.at(-1)!.status).toBeUndefined()
    expect(h.logged.at(-1)).toMatch(/^\[veil\] delivery_failed: delivery failed \(ECONNREFUSED\); 3 events queued, next try in \d+\.\d s/)
    expect(h.veil.stats().dropped.client_error).toBe(0)
  })

  it('reports a 503 with its status, and delivers the same events once the server answers', async () => {
    let up = false
    const server = await endpoint((b, res) => (up ? json(res, 202, { accepted: b.events.length }) : json(res, 503, { error: 'storage unavailable' })))
    const h = veilFor({ endpoint: server.url })
    h.veil.track('rule_add', { rule_type: 'x' })
    expect(await h.veil.flush()).toEqual({ delivered: 0, queued: 2 })
    expect(h.errors.at(-1)).toMatchObject({ type: 'delivery_failed', status: 503, cause: 'HTTP 503', queued: 2 })
    expect(h.logged).toEqual([]) // without debug only onError hears of it
    up = true
    await until(() => h.veil.stats().delivered === 2, 'delivery after the 503s')
    expect(new Set(server.ids).size).toBe(2)
  })

  it('keeps events refused for their key (401), says until when, and delivers them by itself once the key is accepted', async () => {
    let accepted = false
    const server = await endpoint((b, res) => (accepted ? json(res, 202, { accepted: b.events.length }) : json(res, 401, { error: 'unknown write key' })))
    const h = veilFor({ endpoint: server.url, unauthorizedRetentionMs: 3_600_000 })
    h.veil.track('rule_add', { rule_type: 'x' })
    const before = Date.now()
    expect(await h.veil.flush()).toEqual({ delivered: 0, queued: 2 })
    const refused = h.errors.filter((e) => e.type === 'unauthorized')
    expect(refused.length).toBeGreaterThan(0)
    expect(refused.at(-1)).toMatchObject({ status: 401, cause: 'unknown write key', queued: 2 })
    expect(refused.at(-1)!.keptUntil).toBeGreaterThanOrEqual(before + 3_600_000 - 5_000)
    expect(refused.at(-1)!.keptUntil).toBeLessThanOrEqual(Date.now() + 3_600_000)
    // Said once through the logger, debug or not, with the time the events are kept until.
    expect(h.logged).toHaveLength(1)
    expect(h.logged[0]).toMatch(/refused the write key \(unknown write key\); \d events are kept on disk until \d{4}-\d\d-\d\dT/)
    expect(h.veil.stats()).toMatchObject({ queued: 2, dropped: { client_error: 0 } })

    accepted = true // the key was restored in the apps file
    await until(() => h.veil.stats().delivered === 2, 'delivery once the key is accepted')
    expect(h.veil.stats()).toMatchObject({ queued: 0, dropped: { client_error: 0 } })
    expect(new Set(server.ids).size).toBe(2)
  })

  it('gives refused events up once the retention is over, as a final 4xx', async () => {
    const server = await endpoint((_b, res) => json(res, 403, { error: 'key revoked' }))
    let clock = Date.now()
    const h = veilFor({ endpoint: server.url, unauthorizedRetentionMs: 60_000, now: () => clock })
    h.veil.track('rule_add', { rule_type: 'x' })
    expect(await h.veil.flush()).toEqual({ delivered: 0, queued: 2 })
    expect(h.errors.at(-1)).toMatchObject({ type: 'unauthorized', status: 403, keptUntil: expect.any(Number) })
    clock += 61_000
    expect(await h.veil.flush()).toEqual({ delivered: 0, queued: 0 })
    expect(h.errors.at(-1)).toMatchObject({ type: 'client_error', status: 403, count: 2 })
    expect(h.errors.at(-1)!.keptUntil).toBeUndefined()
    expect(h.veil.stats().dropped.client_error).toBe(2)
  })
})
