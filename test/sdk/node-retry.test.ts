// How the Node SDK, in a real child process, answers the server's refusals (EVENTS.md
// "Response"): 503 + Retry-After is retried no sooner than asked, 400 is never retried, and an
// unreachable server is waited for. The server here is a small node:http fake (the network is
// real, only the answers are scripted).
import { afterEach, describe, expect, it } from 'vitest'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { WireBatch } from '../../sdk/core/catalog.ts'
import { runApp } from './support/child.ts'

interface Received {
  at: number
  batch: WireBatch
}

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function fakeServer(answer: (n: number) => { status: number; headers?: Record<string, string> }, port = 0) {
  const received: Received[] = []
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const batch = JSON.parse(body) as WireBatch
      received.push({ at: performance.now(), batch })
      const a = answer(received.length)
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers })
      res.end(JSON.stringify(a.status === 202 ? { accepted: batch.events.length, rejected: [] } : { error: 'scripted' }))
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((r) => server.close(r)))
  return { received, port: (server.address() as { port: number }).port, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }
}

function env(endpoint: string) {
  const queueDir = mkdtempSync(join(tmpdir(), 'veil-retry-'))
  cleanups.push(() => rmSync(queueDir, { recursive: true, force: true }))
  return { VEIL_ENDPOINT: endpoint, VEIL_KEY: 'wk_test', VEIL_QUEUE_DIR: queueDir }
}

const ids = (r: Received) => r.batch.events.map((e) => e.id)

describe('Node SDK delivery answers', () => {
  it('retries a 503 with Retry-After: 2 no sooner than 2 s later, with the same event ids', async () => {
    const server = await fakeServer((n) => (n === 1 ? { status: 503, headers: { 'Retry-After': '2' } } : { status: 202 }))
    const app = runApp('track', 3, env(server.url))
    await app.line((l) => l.done === true)
    const [refused, retried] = server.received
    expect(refused.batch.events.length).toBeGreaterThan(0)
    expect(ids(retried).slice(0, ids(refused).length)).toEqual(ids(refused))
    expect(retried.at - refused.at).toBeGreaterThanOrEqual(2000)
  })

  it('never sends a batch again after a 400, and counts it as dropped', async () => {
    const server = await fakeServer(() => ({ status: 400 }))
    const app = runApp('track', 3, env(server.url))
    const done = await app.line<{ stats: { dropped: { client_error: number } } }>((l) => l.done === true)
    const all = server.received.flatMap(ids)
    expect(all.length).toBeGreaterThanOrEqual(4) // app_start and three rule_add
    expect(new Set(all).size).toBe(all.length)
    // The app prints its stats after shutdown, so app_stop's refused batch is counted too.
    expect(done.stats.dropped.client_error).toBe(all.length)
  })

  it('keeps events while the server is unreachable and delivers all of them once it is back', async () => {
    const probe = await fakeServer(() => ({ status: 202 }))
    const port = probe.port
    await cleanups.pop()!() // free the port: nothing listens there now
    const app = runApp('track', 50, env(`http://127.0.0.1:${port}`))
    await app.line((l) => l.tracked === 50)
    const server = await fakeServer(() => ({ status: 202 }), port)
    await app.line((l) => l.done === true)
    const seqs = server.received.flatMap((r) => r.batch.events).filter((e) => e.name === 'rule_add').map((e) => Number(e.props!.seq_hi) * 100 + Number(e.props!.seq_lo))
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })
})
