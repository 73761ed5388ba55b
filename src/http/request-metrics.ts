// Counts every HTTP answer by route pattern, method and status, and times it (Prometheus RED
// metrics). The route is the pattern that matched (/v1/stats/:report), never the raw path, so
// the label stays a closed set; a path no route matched is counted as "unmatched", a method
// outside the common ones as "other" (no label takes a value from a request, PRIVACY.md 19).
import type { Context, MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import type { Metrics } from '../observability/metrics.ts'

/** Methods counted by name; any other (a request may send any token) is counted as "other". */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
const methodOf = (m: string) => (METHODS.has(m) ? m : 'other')

function routeOf(c: Context): string {
  // The last concrete route matched; middleware registered for every method is not one.
  const routes = matchedRoutes(c)
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i]!
    if (r.method !== 'ALL') return r.path
  }
  return 'unmatched'
}

export function requestMetrics(metrics: Metrics): MiddlewareHandler {
  // The series of each (route, method, status) are looked up once and kept. Traffic is mostly one
  // kind of answer over and over (202s of POST /v1/batch): the last series is kept apart and
  // found by comparing three values, without building a key string and hashing it per request.
  type Series = { count: { inc(by?: number): void }; time: { observe(s: number): void } }
  const series = new Map<string, Series>()
  let last: { route: string; method: string; status: number; s: Series } | undefined
  return async function countRequest(c, next) {
    const start = performance.now()
    try {
      await next()
    } finally {
      const route = routeOf(c)
      const method = methodOf(c.req.method)
      const status = c.res.status
      let s: Series | undefined
      if (last !== undefined && last.route === route && last.method === method && last.status === status) s = last.s
      else {
        const key = `${route} ${method} ${status}`
        s = series.get(key)
        if (!s) {
          s = {
            count: metrics.counter('http_requests_total', { route, method, status: String(status) }),
            time: metrics.histogram('http_request_duration_seconds', { route, method }),
          }
          series.set(key, s)
        }
        last = { route, method, status, s }
      }
      s.count.inc()
      s.time.observe((performance.now() - start) / 1000)
    }
  }
}
