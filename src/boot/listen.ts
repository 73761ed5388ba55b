// Start phase: the HTTP server on PORT, keep-alive longer than common load balancers' idle
// timeouts; once the node is stopping, every answer says Connection: close, so keep-alive
// clients move to another node instead of being cut off at the deadline (F9). With METRICS_PORT,
// a second listener with every series on METRICS_HOST (loopback by default; http/metrics-route.ts).
import type { AddressInfo } from 'node:net'
import type { Server, ServerResponse } from 'node:http'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'
import type { Config } from '../config.ts'

export interface Listening {
  server: Server
  port: number
  metricsServer?: Server
  /** 0 without METRICS_PORT. */
  metricsPort: number
}

const serveOn = (fetch: Hono['fetch'], port: number, hostname: string) =>
  new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch, port, hostname }, () => resolve(s as Server)) as Server
    s.once('error', reject)
  })

export async function listen(app: Hono, metricsApp: () => Hono, config: Config, stopping: () => unknown): Promise<Listening> {
  const server = await serveOn(app.fetch, config.PORT, config.HOST)
  server.keepAliveTimeout = 65_000
  server.on('request', (_req, res: ServerResponse) => {
    if (stopping()) res.setHeader('Connection', 'close')
  })
  const port = (server.address() as AddressInfo).port
  if (config.METRICS_PORT === undefined) return { server, port, metricsPort: 0 }
  const metricsServer = await serveOn(metricsApp().fetch, config.METRICS_PORT, config.METRICS_HOST).catch(async (e: unknown) => {
    await new Promise<void>((r) => server.close(() => r()))
    throw e
  })
  return { server, port, metricsServer, metricsPort: (metricsServer.address() as AddressInfo).port }
}

/**
 * Stops the server within `ms`. Node's server.close() destroys every idle keep-alive connection
 * at once (Node 19+), and a request a client had just sent on one was reset unanswered (13 of 17
 * sent just after SIGTERM, issue 24). So for a grace (a quarter of `ms`, at most 1 s) the server
 * keeps its connections and answers what arrives with Connection: close, which ends each
 * connection after its answer; it then stops accepting, closes what is idle, and closes the rest
 * at `ms` at the latest. The grace ends early once no connection is left.
 */
export async function closeServer(server: Server | undefined, ms: number): Promise<void> {
  if (!server) return
  // The monotonic clock, as the rest of the stop's budget: a wall clock set back stretches nothing.
  const end = performance.now() + ms
  const graceEnd = performance.now() + Math.min(1000, ms / 4)
  while (performance.now() < graceEnd && (await openConnections(server)) > 0) await new Promise((r) => setTimeout(r, 20))
  const closed = new Promise<void>((r) => server.close(() => r()))
  server.closeIdleConnections()
  const deadline = setTimeout(() => server.closeAllConnections(), Math.max(0, end - performance.now()))
  deadline.unref()
  await closed
  clearTimeout(deadline)
}

/** The metrics listener serves scrapes only: closed at once, connections and all. */
export function closeMetricsServer(server: Server | undefined): void {
  server?.close()
  server?.closeAllConnections()
}

const openConnections = (server: Server) => new Promise<number>((r) => server.getConnections((e, n) => r(e ? 0 : n)))
