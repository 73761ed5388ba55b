// GET /metrics for Prometheus (PRIVACY.md 19). Veil's own series (events by app and reason,
// requests by route) move with one person's events, so they are served only to a scrape that
// sends METRICS_TOKEN as a bearer token (Prometheus' `authorization` setting; compared in
// constant time) or on the separate metrics listener (METRICS_PORT on METRICS_HOST, loopback by
// default). The public port without a token shows the process's series only.
import { timingSafeEqual, createHash } from 'node:crypto'
import type { Handler } from 'hono'
import type { Metrics } from '../observability/metrics.ts'

const digest = (s: string) => createHash('sha256').update(s).digest()

export interface MetricsRouteOptions {
  /** METRICS_TOKEN: when set, every scrape must send it, and then sees every series. */
  token?: string
  /** The separate metrics listener: every series without a token (its address is the protection). */
  separate?: boolean
  /** Run before each scrape (the counters that start at 0, observability/counters-at-zero.ts). */
  beforeScrape?: () => void
}

export function createMetricsHandler(metrics: Metrics, opts: MetricsRouteOptions): Handler {
  const expected = opts.token === undefined ? undefined : digest(opts.token)
  return async function serveMetrics(c) {
    if (expected) {
      const sent = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('Authorization') ?? '')?.[1]
      if (!sent || !timingSafeEqual(digest(sent), expected)) {
        return c.json({ error: 'metrics need the bearer token set in METRICS_TOKEN' }, 401, { 'WWW-Authenticate': 'Bearer realm="veil-metrics"' })
      }
    }
    opts.beforeScrape?.()
    const whole = expected !== undefined || opts.separate === true
    return c.body(await (whole ? metrics.render() : metrics.renderProcess()), 200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' })
  }
}
