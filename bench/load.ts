// One load run: POST /v1/batch with a fresh body per request, optionally a fresh User-Agent and
// client address per request (cold caches). At full speed autocannon sends, each connection its
// next request when the last is answered; at a fixed rate paced.ts does, on a schedule.
import autocannon from 'autocannon'
import { acknowledgedBy, type LoadOptions, type LoadResult } from './load-result.ts'
import { runPaced } from './paced.ts'
import { createClientHeaders } from './payloads.ts'

export type { LoadOptions, LoadResult } from './load-result.ts'

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  if (o.rate && !o.autocannonRate) return runPaced({ ...o, rate: o.rate })
  const clientHeaders = createClientHeaders(o.coldClients)
  let acknowledged = 0
  const instance = autocannon({
    url: o.url,
    connections: o.connections,
    duration: o.seconds,
    timeout: 30,
    ...(o.rate ? { overallRate: o.rate } : {}),
    requests: [
      {
        method: 'POST',
        path: '/v1/batch',
        setupRequest(req) {
          return { ...req, headers: { 'content-type': 'text/plain', ...clientHeaders() }, body: o.payload.next() }
        },
        onResponse(status, body) {
          acknowledged += acknowledgedBy(status, body, o.payload)
        },
      },
    ],
  })
  const r = await instance
  const statuses = Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, Number(v.count)]))
  const ok = r['2xx']
  const seconds = r.duration
  return {
    seconds,
    requests: ok + r.non2xx,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    acknowledged,
    reqPerSec: ok / seconds,
    eventsPerSec: acknowledged / seconds,
    p50: r.latency.p50,
    p99: r.latency.p99,
    p999: r.latency.p99_9,
    max: r.latency.max,
    statuses,
  }
}
