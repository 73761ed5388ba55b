// The bench's fixed-rate load (bench/paced.ts): requests go out on a schedule, not in bursts, and
// a request's latency counts from when it was due, so a slow server is charged for the requests
// it kept waiting (coordinated omission). Against a plain node:http server on a real socket.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { runPaced } from '../../bench/paced.ts'
import { createPayload } from '../../bench/payloads.ts'

let server: Server | undefined
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())))

/** A server that records when each request arrived and answers it after `holdMs`. */
async function start(holdMs: number): Promise<{ url: string; arrivals: number[] }> {
  const arrivals: number[] = []
  server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (body += c))
    req.on('end', () => {
      arrivals.push(performance.now())
      const events = (JSON.parse(body) as { events: unknown[] }).events.length
      setTimeout(() => res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: events })), holdMs)
    })
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals }
}

describe('paced load', () => {
  it('spreads a second of requests over the second instead of sending them at once', async () => {
    const { url, arrivals } = await start(0)
    const r = await runPaced({ url, payload: createPayload('wk_test', { events: 2 }), seconds: 1, connections: 20, rate: 200 })
    expect(r.ok).toBe(200)
    expect(r.acknowledged).toBe(400)
    expect(r.errors).toBe(0)
    // Half the schedule is due in the first half second: a burst would put nearly all there.
    const first = arrivals[0]!
    const early = arrivals.filter((t) => t - first < 500).length
    expect(early).toBeGreaterThan(60)
    expect(early).toBeLessThan(140)
  })

  it('counts latency from when a request was due, so requests held up behind a slow server carry their wait', async () => {
    // 2 connections held 50 ms each: 40 answers a second for 100 due in half a second. A closed
    // loop would report about 50 ms for every request; the schedule's last ones wait seconds.
    const { url } = await start(50)
    const r = await runPaced({ url, payload: createPayload('wk_test', { events: 1 }), seconds: 0.5, connections: 2, rate: 200 })
    expect(r.ok).toBe(100)
    expect(r.p50).toBeGreaterThan(500)
    expect(r.max).toBeGreaterThan(1500)
  })
})
