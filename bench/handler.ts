// CPU cost of POST /v1/batch in process, storage taken out: the real app, pipeline, dedup and row
// encoding, with a writer that encodes the rows (as the spool does) and resolves at once. No
// sockets, no load generator, no ClickHouse: a steadier figure than the load benchmark for
// changes to the handler, in microseconds per event and per request.
//
//   npx tsx bench/handler.ts [--seconds 5] [--only batch50,single]
import { parseArgs } from 'node:util'
import { createStorageFreeApp } from './storage-free-app.ts'
import { CHROME_UA, createPayload, type PayloadSpec } from './payloads.ts'

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, only: { type: 'string' } },
})

const KEY = 'wk_benchhandler'
const app = createStorageFreeApp(KEY)

const scenarios: Record<string, PayloadSpec> = {
  single: { events: 1 },
  batch50: { events: 50 },
  users: { events: 50, distinctUsers: true },
  mixed_invalid: { events: 50, invalidEvery: 10 },
}
const only = args.only?.split(',')
const seconds = Number(args.seconds)

for (const [name, spec] of Object.entries(scenarios)) {
  if (only && !only.includes(name)) continue
  const payload = createPayload(KEY, spec)
  const send = async () => {
    const res = await app.request('/v1/batch', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA },
      body: payload.next(),
    })
    if (res.status !== 202) throw new Error(`${name}: ${res.status} ${await res.text()}`)
    await res.arrayBuffer()
  }
  for (let i = 0; i < 2000 / spec.events + 200; i++) await send() // warm-up: JIT and caches
  const start = process.hrtime.bigint()
  const cpu0 = process.cpuUsage()
  let requests = 0
  const until = Date.now() + seconds * 1000
  while (Date.now() < until) {
    for (let i = 0; i < 50; i++) await send()
    requests += 50
  }
  const wallUs = Number(process.hrtime.bigint() - start) / 1000
  const cpu = process.cpuUsage(cpu0)
  const cpuUs = cpu.user + cpu.system
  const events = requests * spec.events
  console.log(
    `${name.padEnd(14)} ${(cpuUs / requests).toFixed(1).padStart(8)} us/request  ${(cpuUs / events).toFixed(2).padStart(7)} us/event (CPU)  ${(wallUs / events).toFixed(2).padStart(7)} us/event (wall)  ${requests} requests`,
  )
}
