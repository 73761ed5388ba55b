// An open-loop load at a fixed rate, as wrk2 makes one: request i is due at start + i / rate,
// whatever the server did with the ones before it, and its latency counts from when it was due.
// A request that finds every connection busy waits for one, and that wait is part of its latency
// (no coordinated omission). autocannon's own rate (`overallRate`) is not this: each connection
// sends back to back at full speed until its share of the second is used up, then waits for the
// next second, so "half the rate" arrives as bursts at full speed in part of every second (a
// trivial server saw a second's 700 requests arrive within 200-300 ms), and its correction for
// coordinated omission takes the interval in the wrong unit.
//
// HTTP/1.1 over plain sockets kept alive, one request at a time on each: what autocannon costs
// per request, where node:http's client cost twice as much.
import { connect, type Socket } from 'node:net'
import { createClientHeaders } from './payloads.ts'
import { acknowledgedBy, type LoadOptions, type LoadResult } from './load-result.ts'

/** Timer ticks: what is due is sent on each, so arrivals are even to about this step. */
const TICK_MS = 1
const TIMEOUT_MS = 30_000

interface Conn {
  socket: Socket
  /** When the request on it was due; undefined when it is free. */
  dueAt?: number
  buf: Buffer
}

export async function runPaced(o: LoadOptions & { rate: number }): Promise<LoadResult> {
  const url = new URL(o.url)
  const host = `${url.hostname}:${url.port}`
  const clientHeaders = createClientHeaders(o.coldClients)
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  let ok = 0
  let non2xx = 0
  let errors = 0
  let acknowledged = 0
  const due = Math.floor(o.seconds * o.rate)
  const waiting: number[] = []
  const free: Conn[] = []
  const conns: Conn[] = []

  const requestOf = (): string => {
    let head = `POST /v1/batch HTTP/1.1\r\nHost: ${host}\r\nContent-Type: text/plain\r\n`
    for (const [name, value] of Object.entries(clientHeaders())) head += `${name}: ${value}\r\n`
    const body = o.payload.next()
    return `${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  }

  const send = (c: Conn, dueAt: number) => {
    c.dueAt = dueAt
    c.socket.write(requestOf())
  }

  const answered = (c: Conn, status: number, body: string) => {
    latencies.push(performance.now() - c.dueAt!)
    c.dueAt = undefined
    statuses[status] = (statuses[status] ?? 0) + 1
    if (status >= 200 && status < 300) {
      ok++
      acknowledged += acknowledgedBy(status, body, o.payload)
    } else non2xx++
    const next = waiting.shift()
    if (next !== undefined) send(c, next)
    else free.push(c)
  }

  // One whole answer at the front of the buffer: status, body and its length in bytes, or undefined.
  const parse = (buf: Buffer): { status: number; body: string; used: number } | undefined => {
    const head = buf.indexOf('\r\n\r\n')
    if (head < 0) return undefined
    const headers = buf.toString('latin1', 0, head)
    const status = Number(headers.slice(9, 12))
    const length = /\r\ncontent-length: *(\d+)/i.exec(headers)
    if (length) {
      const end = head + 4 + Number(length[1])
      return buf.length < end ? undefined : { status, body: buf.toString('utf8', head + 4, end), used: end }
    }
    if (/\r\ntransfer-encoding: *chunked/i.test(headers)) {
      let at = head + 4
      let body = ''
      for (;;) {
        const line = buf.indexOf('\r\n', at)
        if (line < 0) return undefined
        const size = parseInt(buf.toString('latin1', at, line), 16)
        if (buf.length < line + 2 + size + 2) return undefined
        if (size === 0) return { status, body, used: line + 4 }
        body += buf.toString('utf8', line + 2, line + 2 + size)
        at = line + 2 + size + 2
      }
    }
    return { status, body: '', used: head + 4 }
  }

  const open = (): Promise<Conn> =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true })
      const c: Conn = { socket, buf: Buffer.alloc(0) }
      socket.setTimeout(TIMEOUT_MS)
      socket.on('data', (d: Buffer) => {
        c.buf = c.buf.length ? Buffer.concat([c.buf, d]) : d
        for (let r = parse(c.buf); r && c.dueAt !== undefined; r = parse(c.buf)) {
          c.buf = c.buf.subarray(r.used)
          answered(c, r.status, r.body)
        }
      })
      const fail = () => {
        if (c.dueAt !== undefined) {
          errors++
          latencies.push(performance.now() - c.dueAt)
          c.dueAt = undefined
        }
        socket.destroy()
      }
      socket.on('timeout', fail)
      socket.on('error', fail)
      socket.on('close', () => {
        const i = free.indexOf(c)
        if (i >= 0) free.splice(i, 1)
      })
      socket.once('connect', () => resolve(c))
      socket.once('error', reject)
    })

  for (let i = 0; i < o.connections; i++) conns.push(await open())
  free.push(...conns)

  const start = performance.now()
  let sent = 0
  await new Promise<void>((resolve) => {
    const tick = () => {
      const upTo = Math.min(due, Math.floor(((performance.now() - start) / 1000) * o.rate) + 1)
      for (; sent < upTo; sent++) {
        const dueAt = start + (sent / o.rate) * 1000
        const c = free.pop()
        if (c) send(c, dueAt)
        else waiting.push(dueAt)
      }
      if (sent < due) setTimeout(tick, TICK_MS)
      else resolve()
    }
    tick()
  })
  // The answers still out belong to the run: wait for them, within the request timeout.
  const until = performance.now() + TIMEOUT_MS
  const busy = () => waiting.length > 0 || conns.some((c) => c.dueAt !== undefined && !c.socket.destroyed)
  while (busy() && performance.now() < until) await new Promise((r) => setTimeout(r, 5))
  errors += waiting.length
  for (const c of conns) c.socket.destroy()
  latencies.sort((a, b) => a - b)
  const at = (q: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]! : 0)
  return {
    seconds: o.seconds,
    requests: ok + non2xx,
    ok,
    non2xx,
    errors,
    acknowledged,
    reqPerSec: ok / o.seconds,
    eventsPerSec: acknowledged / o.seconds,
    p50: round(at(0.5)),
    p99: round(at(0.99)),
    p999: round(at(0.999)),
    max: round(latencies.at(-1) ?? 0),
    statuses,
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10
