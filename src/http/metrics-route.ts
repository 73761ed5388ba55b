// GET /metrics for Prometheus. With METRICS_TOKEN set, a scrape must send it as a bearer token
// (Prometheus' `authorization` scrape setting); compared in constant time.
import { timingSafeEqual, createHash } from 'node:crypto'
import type { Handler } from 'hono'
import type { Metrics } from '../observability/metrics.ts'

const digest = (s: string) => createHash('sha256').update(s).digest()

export function createMetricsHandler(metrics: Metrics, token: string | undefined): Handler {
  const expected = token === undefined ? undefined : digest(token)
  return async function serveMetrics(c) {
    if (expected) {
      const sent = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('Authorization') ?? '')?.[1]
      if (!sent || !timingSafeEqual(digest(sent), expected)) {
        return c.json({ error: 'metrics need the bearer token set in METRICS_TOKEN' }, 401, { 'WWW-Authenticate': 'Bearer realm="veil-metrics"' })
      }
    }
    return c.body(await metrics.render(), 200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' })
  }
}
