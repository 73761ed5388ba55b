// One load run: POST /v1/batch with a fresh body per request, optionally a fresh User-Agent and
// client address per request (cold caches). At full speed autocannon sends, each connection its
// next request when the last is answered; at a fixed rate paced.ts does, on a schedule.
import autocannon from 'autocannon'
import type { LoadOptions, LoadResult } from './load-result.ts'
import { runPaced } from './paced.ts'
import { CHROME_UA, createUserAgents } from './payloads.ts'

export type { LoadOptions, LoadResult } from './load-result.ts'

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  if (o.rate && !o.autocannonRate) return runPaced({ ...o, rate: o.rate })
  const nextUa = createUserAgents()
  let n = 0
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
          n++
          const headers: Record<string, string> = { 'content-type': 'text/plain', 'user-agent': CHROME_UA }
          if (o.coldClients) {
            headers['user-agent'] = nextUa()
            headers['x-forwarded-for'] = `${(n >>> 16) & 255 || 1}.${(n >>> 8) & 255}.${n & 255}.7`
          }
          return { ...req, headers, body: o.payload.next() }
        },
        onResponse(status, body) {
          if (status === 204) acknowledged += o.payload.eventsPerRequest
          else if (status === 202) acknowledged += Number(/"accepted":(\d+)/.exec(body)?.[1] ?? 0)
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
