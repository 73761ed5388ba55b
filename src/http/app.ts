// The HTTP surface of Veil: ingestion, health, metrics, and the product managers' reports.
// Errors become JSON in one place (onError), so every status has a body a developer can read.
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import type { ClickHouseClient } from '@clickhouse/client'
import { HttpError } from './errors.ts'
import { StorageUnavailableError } from '../storage/commit/writer.ts'
import { errorFields } from '../observability/log-error.ts'
import { BATCH_CORS_HEADERS, createBatchHandler, type BatchDeps } from './batch-route.ts'
import { requestMetrics } from './request-metrics.ts'
import { createMetricsHandler } from './metrics-route.ts'
import { countersAtZero } from './counters-at-zero.ts'
import { createCompatRoutes, type CompatDeps } from '../compat/routes.ts'
import { createIngest } from '../ingest/ingest-core.ts'
import { createRelayRoutes } from './relay-route.ts'
import { createRelayBook } from '../relay/central/relay-metrics.ts'

export interface AppDeps extends BatchDeps, Pick<CompatDeps, 'listeningPort'> {
  /** The store /readyz pings; none on an on-prem relay, which has no ClickHouse (src/relay/). */
  client?: Pick<ClickHouseClient, 'ping'>
  /** Serve /v1/relay/rows and /v1/relay/bundle (a central node); false on a relay itself. */
  relayDoor?: boolean
  /** Why this node should get no traffic now (spool trouble, stopping); undefined when ready. */
  notReady?: () => string | undefined
  /** Why the apps in force are not those on disk (apps/reload.ts); shown by /readyz, still ready. */
  configStale?: () => string | undefined
  /** Extra routes mounted at the root (the reports API and dashboard). */
  routes?: Hono[]
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono()
  app.use(requestMetrics(deps.metrics))

  app.onError((err, c) => {
    if (err instanceof HttpError) {
      for (const [k, v] of Object.entries(err.headers)) c.header(k, v)
      return c.json({ error: err.message }, err.status)
    }
    if (err instanceof StorageUnavailableError) {
      deps.metrics.inc('unavailable_total', { reason: err.reason })
      deps.logger.warn({ reason: err.reason, ...(err.cause === undefined ? {} : { error: errorFields(err.cause) }) }, 'storage unavailable')
      return c.json({ error: `${err.message}; retry later` }, 503, { 'Retry-After': '5' })
    }
    deps.metrics.inc('internal_errors_total')
    deps.logger.error({ error: errorFields(err) }, 'unhandled error')
    return c.json({ error: 'internal error' }, 500)
  })
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404))

  // Browsers post text/plain from any origin (no preflight); JSON clients get a preflight answer.
  // Every answer of the route, errors too, carries the headers a page needs to read it. They are
  // set before the answer exists: hono/cors would set them on a response of its own and merge
  // that into the handler's, which builds a full web Response for every request. The POST
  // handler sets them itself, on its 202 and on its errors (batch-route.ts).
  app.use('/v1/batch', async (c, next) => {
    if (c.req.method !== 'POST') for (const [name, value] of Object.entries(BATCH_CORS_HEADERS)) c.header(name, value)
    await next()
  })
  app.options(
    '/v1/batch',
    cors({ origin: '*', allowMethods: ['POST', 'OPTIONS'], allowHeaders: ['Content-Type', 'Authorization', 'Content-Encoding'], exposeHeaders: ['Retry-After'], maxAge: 86400 }),
  )
  // One ingestion core for every way in: /v1/batch, and PostHog's and Segment's APIs (docs/compat.md).
  const ingest = createIngest(deps)
  app.post('/v1/batch', createBatchHandler(deps, ingest))
  app.route('/', createCompatRoutes(deps, ingest))
  if (deps.relayDoor !== false) app.route('/', createRelayRoutes({ ...deps, relays: createRelayBook(deps.metrics, deps.now) }))

  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.get('/readyz', async (c) => {
    const reason = deps.notReady?.()
    if (reason) return c.json({ status: 'not ready', reason }, 503)
    const ping = deps.client ? await deps.client.ping().catch((e: unknown) => ({ success: false as const, error: e })) : { success: true as const }
    const stale = deps.configStale?.()
    const config = stale ? { config: `stale: ${stale}; serving the last good apps` } : {}
    return ping.success ? c.json({ status: 'ready', ...config }) : c.json({ status: 'storage unreachable', ...config }, 503)
  })
  // Process series only, unless the scrape sends METRICS_TOKEN (metrics-route.ts); every series
  // is also on the separate metrics listener (createMetricsApp, METRICS_PORT).
  app.get('/metrics', createMetricsHandler(deps.metrics, { token: deps.config.METRICS_TOKEN, beforeScrape: countersAtZero(deps.metrics, deps.apps) }))

  for (const routes of deps.routes ?? []) app.route('/', routes)
  return app
}

/**
 * The separate metrics listener (METRICS_PORT on METRICS_HOST, loopback by default): GET
 * /metrics with every series, for a Prometheus on the same host or a private network; with
 * METRICS_TOKEN set it wants the token here too.
 */
export function createMetricsApp(deps: Pick<AppDeps, 'metrics' | 'apps' | 'config'>): Hono {
  const app = new Hono()
  app.get('/metrics', createMetricsHandler(deps.metrics, { token: deps.config.METRICS_TOKEN, separate: true, beforeScrape: countersAtZero(deps.metrics, deps.apps) }))
  app.notFound((c) => c.json({ error: 'only GET /metrics here' }, 404))
  return app
}
