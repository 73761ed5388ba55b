// CPU cost of the PostHog and Segment endpoints in process, next to POST /v1/batch with the same
// 50 events: what the dialect's decoding and mapping add on top of the shared ingestion. Storage
// is taken out as in bench/handler.ts (a writer that encodes rows and resolves at once).
//
//   npx tsx bench/compat.ts [--requests 2000]
import { parseArgs } from 'node:util'
import { randomUUID } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { createStorageFreeApp } from './storage-free-app.ts'
import { CHROME_UA } from './payloads.ts'

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '2000' } } })
const KEY = 'wk_benchcompat'
const EVENTS = 50
const app = createStorageFreeApp(KEY)

// The same 50 events in each dialect: a report query with three props, one user and session.
const veil = () => JSON.stringify({ key: KEY, sent_at: Date.now(), context: { lang: 'de-DE', screen: { w: 1920, h: 1080 } }, events: Array.from({ length: EVENTS }, () => ({
  id: randomUUID(), name: 'report_query', ts: Date.now(), user_id: 'u-1', session_id: 's-1', props: { report: 'monthly', duration_ms: 1840, status: 'ok' },
})) })
const posthog = () => JSON.stringify(Array.from({ length: EVENTS }, () => ({
  uuid: randomUUID(), event: 'report_query', timestamp: new Date().toISOString(),
  properties: { token: KEY, distinct_id: 'u-1', $session_id: 's-1', $lib: 'web', $browser_language: 'de-DE', $screen_width: 1920, $screen_height: 1080, $current_url: 'https://x.example/reports', report: 'monthly', duration_ms: 1840, status: 'ok' },
})))
const segment = () => JSON.stringify({ writeKey: KEY, sentAt: new Date().toISOString(), batch: Array.from({ length: EVENTS }, () => ({
  type: 'track', event: 'Report Query', messageId: randomUUID(), userId: 'u-1', anonymousId: 's-1', timestamp: new Date().toISOString(),
  properties: { report: 'monthly', duration_ms: 1840, status: 'ok' }, context: { library: { name: 'analytics.js' }, locale: 'de-DE', screen: { width: 1920, height: 1080 } },
})) })

const scenarios: [string, string, () => BodyInit, number][] = [
  ['v1_batch50', '/v1/batch', veil, 202],
  ['posthog50', '/posthog/e/', posthog, 200],
  ['posthog50_gzip', '/posthog/e/?compression=gzip-js', () => gzipSync(posthog()), 200],
  ['segment50', '/segment/v1/batch', segment, 200],
]

for (const [name, path, body, status] of scenarios) {
  // Fresh ids in every body (a resent id would be deduplicated, which is cheaper), made ahead:
  // building them is the client's work, not the server's.
  const requests = Number(args.requests)
  const bodies = Array.from({ length: requests + 200 }, body)
  let n = 0
  const send = async () => {
    const res = await app.request(path, { method: 'POST', headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA }, body: bodies[n++]! })
    if (res.status !== status) throw new Error(`${name}: ${res.status} ${await res.text()}`)
    await res.arrayBuffer()
  }
  for (let i = 0; i < 200; i++) await send() // warm-up: JIT and caches
  const cpu0 = process.cpuUsage()
  for (let i = 0; i < requests; i++) await send()
  const cpu = process.cpuUsage(cpu0)
  const us = (cpu.user + cpu.system) / (requests * EVENTS)
  console.log(`${name.padEnd(16)} ${us.toFixed(2).padStart(7)} us/event (CPU)  ${requests} requests of ${EVENTS} events`)
}
