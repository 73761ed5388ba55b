// The body limits over a real socket: @hono/node-server hands the handler node:http's message,
// which is read by a different path than app.request()'s Request body (src/http/read-body.ts).
import { request } from 'node:http'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../support/server.ts'
import { CHROME_UA, batch, event } from '../support/batch.ts'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer({ env: { MAX_BODY_BYTES: '20000' } })
})
afterAll(() => s?.stop())

interface Answer {
  status: number
  body: string
  chunksWritten: number
}

/** POSTs `chunks` one by one, chunked (no Content-Length), and stops writing once answered. */
function postChunked(chunks: Buffer[], headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let written = 0
    let answered = false
    const req = request(`${s.url}/v1/batch`, { method: 'POST', headers: { 'Content-Type': 'text/plain', 'User-Agent': CHROME_UA, ...headers } }, (res) => {
      answered = true
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, body, chunksWritten: written }))
    })
    req.on('error', (e) => (answered ? undefined : reject(e)))
    const next = () => {
      if (answered || written === chunks.length) return void req.end()
      req.write(chunks[written++], () => setTimeout(next, 2))
    }
    next()
  })
}

describe('body limits over a socket', () => {
  it('answers 413 to a chunked upload past the limit without reading all of it', async () => {
    const chunks = Array.from({ length: 500 }, () => Buffer.alloc(4000, 0x20))
    const a = await postChunked(chunks)
    expect(a.status).toBe(413)
    expect(JSON.parse(a.body).error).toMatch(/larger than 20000 bytes/)
    expect(a.chunksWritten).toBeLessThan(500)
  })

  it('answers 413 to a gzip bomb by its inflated size', async () => {
    const a = await postChunked([gzipSync(Buffer.alloc(15_000_000, 0x20))], { 'Content-Encoding': 'gzip' })
    expect(a.status).toBe(413)
    expect(JSON.parse(a.body).error).toMatch(/inflates to more than 20000 bytes/)
  })

  it('answers 413 at once to a declared Content-Length past the limit', async () => {
    const res = await fetch(`${s.url}/v1/batch`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x'.repeat(30_000) })
    expect(res.status).toBe(413)
  })

  it('takes a chunked batch within the limit, and keeps serving after the above', async () => {
    const e = event()
    const text = JSON.stringify(batch(s.writeKey, [e]))
    const a = await postChunked([Buffer.from(text.slice(0, 40)), Buffer.from(text.slice(40))])
    expect(a.status).toBe(202)
    expect(await s.query('SELECT 1 FROM events WHERE event_id = {id:UUID}', { id: e.id })).toHaveLength(1)
  })
})
