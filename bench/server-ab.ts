// Main-thread CPU per request over a real socket, this checkout against another one (--base DIR):
// each serves its storage-free app from a child process (@hono/node-server, as in production),
// autocannon loads them in turn (ABBA, 1 s blocks), and /proc gives each child's main-thread CPU.
//
//   npx tsx bench/server-ab.ts --base /tmp/veil-base [--rounds 31] [--only single,batch50]
//
// The per-request costs bench/handler-ab.ts cannot see (node:http, the adapter's response) are
// in this figure; so is more noise: compare with an A/A run (--base .).
import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { CHROME_UA, createPayload } from './payloads.ts'

const KEY = 'wk_benchhandler'
const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '31' },
    seconds: { type: 'string', default: '1' },
    only: { type: 'string', default: 'single,batch50' },
    serve: { type: 'string' },
    port: { type: 'string' },
  },
})

if (args.serve) {
  // Child: one checkout's app on the port given; stops on SIGTERM.
  const { serve } = await import('@hono/node-server')
  const { createStorageFreeApp } = (await import(`${args.serve}/bench/storage-free-app.ts`)) as typeof import('./storage-free-app.ts')
  serve({ fetch: createStorageFreeApp(KEY).fetch, port: Number(args.port), hostname: '127.0.0.1' }, () => process.send?.('ready'))
  process.on('SIGTERM', () => process.exit(0))
} else {
  if (!args.base) throw new Error('usage: bench/server-ab.ts --base <dir of the other checkout> [--rounds 31] [--only single,batch50]')
  /** utime + stime of the main thread (the task whose tid is the pid), in clock ticks of 10 ms. */
  const ticks = (pid: number) => {
    const fields = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return Number(fields[11]) + Number(fields[12])
  }
  const here = resolve(import.meta.dirname, '..')
  const servers = await Promise.all(
    [
      { name: 'base', dir: resolve(args.base), port: 4171 },
      { name: 'this', dir: here, port: 4172 },
    ].map(
      (s) =>
        new Promise<{ name: string; port: number; pid: number; stop: () => void }>((ready, failed) => {
          const child = fork(import.meta.filename, ['--serve', s.dir, '--port', String(s.port)], { execArgv: ['--import', 'tsx'] })
          child.once('message', () => ready({ name: s.name, port: s.port, pid: child.pid!, stop: () => child.kill('SIGTERM') }))
          child.once('exit', (code) => failed(new Error(`${s.name} server exited with ${code}`)))
        }),
    ),
  )
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  try {
    for (const name of args.only.split(',')) {
      const events = name === 'single' ? 1 : name === 'batch50' ? 50 : NaN
      if (Number.isNaN(events)) throw new Error(`unknown scenario ${name}; one of single, batch50`)
      const perRequest: Record<string, number[]> = { base: [], this: [] }
      for (let round = 0; round < Number(args.rounds); round++) {
        for (const s of round % 2 === 0 ? servers : [...servers].reverse()) {
          const payload = createPayload(KEY, { events })
          const before = ticks(s.pid)
          const out = await autocannon({
            url: `http://127.0.0.1:${s.port}/v1/batch`,
            connections: 20,
            duration: Number(args.seconds),
            requests: [{ method: 'POST', headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA }, setupRequest: (req) => ({ ...req, body: payload.next() }) }],
          })
          if (out.non2xx > 0) throw new Error(`${s.name}: ${out.non2xx} answers were not 2xx`)
          // The first round warms both up (JIT, caches) and is not counted.
          if (round > 0) perRequest[s.name]!.push(((ticks(s.pid) - before) * 10_000) / out['2xx'])
        }
      }
      const ratios = perRequest.base!.map((b, i) => perRequest.this![i]! / b)
      console.log(
        `${name.padEnd(8)} main thread: base ${median(perRequest.base!).toFixed(1)} us/request, this ${median(perRequest.this!).toFixed(1)} us/request (medians); ` +
          `this/base ${median(ratios).toFixed(3)} (median over ${ratios.length} pairs of ${args.seconds} s runs)`,
      )
    }
  } finally {
    for (const s of servers) s.stop()
  }
}
