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

/** Stops accepting; idle connections close now, busy ones after `ms` at the latest. */
export async function closeServer(server: Server | undefined, ms: number): Promise<void> {
  if (!server) return
  const closed = new Promise<void>((r) => server.close(() => r()))
  server.closeIdleConnections()
  const deadline = setTimeout(() => server.closeAllConnections(), ms)
  deadline.unref()
  await closed
  clearTimeout(deadline)
}

/** The metrics listener serves scrapes only: closed at once, connections and all. */
export function closeMetricsServer(server: Server | undefined): void {
  server?.close()
  server?.closeAllConnections()
}
