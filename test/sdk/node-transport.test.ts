// What the Node SDK puts on the network: through HTTP_PROXY / HTTPS_PROXY as plants require, no
// User-Agent, host or user names, hashed ids, the OS instead (PRIVACY.md 11, EVENTS.md context.os).
import { afterEach, describe, expect, it } from 'vitest'
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { WireBatch } from '../../sdk/core/catalog.ts'
import { createVeil, type Veil, type VeilNodeOptions } from '../../sdk/node/index.ts'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((r) => server.close(r)))
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}

/** An ingestion fake that records each batch with its headers and answers 202. */
async function collector() {
  const received: { headers: IncomingHttpHeaders; raw: string; batch: WireBatch }[] = []
  const url = await listen(
    createServer((req, res) => {
      let raw = ''
      req.on('data', (c: Buffer) => (raw += c.toString()))
      req.on('end', () => {
        received.push({ headers: req.headers, raw, batch: JSON.parse(raw) as WireBatch })
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":1,"rejected":[]}')
      })
    }),
  )
  return { url, received }
}

function veilFor(o: Partial<VeilNodeOptions> & Pick<VeilNodeOptions, 'endpoint'>): Veil {
  const queueDir = mkdtempSync(join(tmpdir(), 'veil-transport-'))
  const veil = createVeil({ key: 'wk_test', queueDir, captureCrashes: false, captureExit: false, env: {}, ...o })
  cleanups.push(async () => {
    await veil.shutdown(100)
    rmSync(queueDir, { recursive: true, force: true })
  })
  return veil
}

describe('Node SDK on the wire', () => {
  it('sends hashed ids, the OS and onprem, and no User-Agent, host or user name', async () => {
    const c = await collector()
    const veil = veilFor({ endpoint: c.url, appVersion: '4.2.1' })
    veil.login('anna.schmidt', { method: 'sso' }, { orgId: 'customer-77' })
    veil.track('cm_data_import', { status: 'failed', records: 3, error: `no access to /home/someone/x on ${hostname()}` })
    await veil.flush()
    const body = c.received.map((r) => r.raw).join('\n')
    expect(c.received[0].headers['user-agent']).toBeUndefined()
    expect(body).not.toContain('anna.schmidt')
    expect(body).not.toContain('customer-77')
    const imp = c.received.flatMap((r) => r.batch.events).find((e) => e.name === 'cm_data_import')!
    expect(imp.props!.error).toBe('no access to [path] on [host]')
    const login = c.received.flatMap((r) => r.batch.events).find((e) => e.name === 'login')!
    expect(login.user_id).toMatch(/^[0-9a-f]{64}$/)
    expect(login.org_id).toMatch(/^[0-9a-f]{64}$/)
    expect(c.received[0].batch.context).toMatchObject({ deployment: 'onprem', app_version: '4.2.1', os: { name: expect.any(String) } })
    expect(c.received[0].batch.key).toBe('wk_test')
  })

  it('goes through HTTP_PROXY for an http endpoint, with the absolute URL', async () => {
    const c = await collector()
    const seen: string[] = []
    const proxyUrl = await listen(
      createServer((req, res) => {
        seen.push(req.url!)
        const target = new URL(req.url!)
        const up = request({ host: target.hostname, port: target.port, path: target.pathname, method: req.method, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode!, r.headers)
          r.pipe(res)
        })
        req.pipe(up)
      }),
    )
    const veil = veilFor({ endpoint: c.url, env: { HTTP_PROXY: proxyUrl } })
    await veil.flush()
    expect(seen).toEqual([`${c.url}/v1/batch`])
    expect(c.received).toHaveLength(1)
  })

  it('tunnels an https endpoint through HTTPS_PROXY with CONNECT', async () => {
    const connects: string[] = []
    const proxy = createServer()
    proxy.on('connect', (req, socket) => {
      connects.push(req.url!)
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
    })
    const proxyUrl = await listen(proxy)
    const veil = veilFor({ endpoint: 'https://veil.example.invalid', env: { HTTPS_PROXY: proxyUrl }, backoff: { baseMs: 60_000, maxMs: 60_000 } })
    await veil.flush()
    expect(connects).toEqual(['veil.example.invalid:443'])
  })

  it('connects directly to hosts in NO_PROXY', async () => {
    const c = await collector()
    const veil = veilFor({ endpoint: c.url, env: { HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1' } })
    await veil.flush()
    expect(c.received).toHaveLength(1)
  })

  it('splits a backlog into requests of at most 25 events and 60 KB', async () => {
    const c = await collector()
    const veil = veilFor({ endpoint: c.url, consent: 'pending' })
    for (let i = 0; i < 60; i++) veil.track('feedback', { text: 'x'.repeat(1900), rating: 4 })
    veil.consent('granted')
    await veil.flush()
    expect(c.received.flatMap((r) => r.batch.events)).toHaveLength(61)
    for (const r of c.received) {
      expect(r.batch.events.length).toBeLessThanOrEqual(25)
      expect(Buffer.byteLength(r.raw)).toBeLessThanOrEqual(60 * 1024)
    }
  })

  it('sends nothing while consent is pending and forgets everything when it is denied', async () => {
    const c = await collector()
    const veil = veilFor({ endpoint: c.url, consent: 'pending' })
    veil.track('rule_add', { rule_type: 'x' })
    await veil.flush()
    veil.consent('denied')
    veil.track('rule_add', { rule_type: 'y' })
    veil.consent('granted')
    await veil.flush()
    expect(c.received).toEqual([])
    expect(veil.stats().queued).toBe(0)
  })
})
