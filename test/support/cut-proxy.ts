// A hand-written HTTP CONNECT proxy for the relay's tests: it refuses tunnels while `cut` is
// set (the uplink away), then tunnels them, and keeps every byte the relay sent through it, so
// a test can read exactly what went on the wire between a site and the central Veil.
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { gunzipSync } from 'node:zlib'

export interface CutProxy {
  url: string
  /** While true, CONNECT is answered 503 and nothing reaches the central Veil. */
  cut: boolean
  /**
   * While true, requests reach the central Veil but its answers are held back from the relay
   * (a forward stored centrally whose acknowledgement never arrives); released when set false.
   */
  hold: boolean
  refused: number
  tunnelled: number
  /** Every byte clients sent through open tunnels, in order per tunnel. */
  captured: Buffer[]
  close(): Promise<void>
}

export async function startCutProxy(): Promise<CutProxy> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((_req, res) => res.writeHead(405).end())
  const proxy: CutProxy = {
    url: '', cut: true, hold: false, refused: 0, tunnelled: 0, captured: [],
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy()
      server.close(() => r())
    }),
  }
  server.on('connect', (req, client: Socket, head: Buffer) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    if (proxy.cut) {
      proxy.refused++
      client.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n')
      return
    }
    proxy.tunnelled++
    const [host, port] = (req.url ?? '').split(':')
    const upstream = connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length) upstream.write(head), proxy.captured.push(Buffer.from(head))
      client.on('data', (d: Buffer) => proxy.captured.push(Buffer.from(d)))
      client.pipe(upstream)
      // Answers in order, held while `hold` is set: a check every 20 ms lets them go.
      const held: Buffer[] = []
      let ended = false
      const release = () => {
        if (proxy.hold) return
        while (held.length) client.write(held.shift()!)
        if (ended) clearInterval(timer), client.end()
      }
      const timer = setInterval(release, 20)
      client.on('close', () => clearInterval(timer))
      upstream.on('data', (d: Buffer) => (held.push(d), release()))
      upstream.on('end', () => ((ended = true), release()))
    })
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return proxy
}

/** The bodies of the HTTP requests in captured bytes, gunzipped where they are gzip. */
export function requestBodies(captured: readonly Buffer[]): Buffer[] {
  const all = Buffer.concat(captured)
  const bodies: Buffer[] = []
  let at = 0
  for (;;) {
    const headEnd = all.indexOf('\r\n\r\n', at)
    if (headEnd < 0) break
    const head = all.subarray(at, headEnd).toString('latin1')
    const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0)
    const body = all.subarray(headEnd + 4, headEnd + 4 + length)
    bodies.push(/content-encoding:\s*gzip/i.test(head) ? gunzipSync(body) : body)
    at = headEnd + 4 + length
  }
  return bodies
}
