// The handler's time per event, this checkout against another one (--base DIR), in one process:
// short blocks of requests alternate between the two apps (ABBA), so load from anything else on
// the machine falls on both alike. Steadier than two runs of bench/handler.ts on a busy machine.
//
//   git archive main | tar -x -C /tmp/veil-base && ln -s "$PWD/node_modules" /tmp/veil-base/
//   npx tsx bench/handler-ab.ts --base /tmp/veil-base [--seconds 20] [--only batch50,single]
//
// A run with --base . compares this checkout with itself: the spread of that ratio around 1 is
// what a difference must exceed to mean anything.
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'

const { values: args } = parseArgs({
  options: { base: { type: 'string' }, seconds: { type: 'string', default: '20' }, only: { type: 'string', default: 'batch50,single' } },
})
if (!args.base) throw new Error('usage: bench/handler-ab.ts --base <dir of the other checkout> [--seconds 20] [--only batch50,single]')

const KEY = 'wk_benchhandler'
const here = resolve(import.meta.dirname, '..')

/** The storage-free app and payloads of a checkout; its own modules, so nothing is shared. */
async function load(dir: string) {
  const { createStorageFreeApp } = (await import(`${dir}/bench/storage-free-app.ts`)) as typeof import('./storage-free-app.ts')
  const { CHROME_UA, createPayload } = (await import(`${dir}/bench/payloads.ts`)) as typeof import('./payloads.ts')
  return { app: createStorageFreeApp(KEY), CHROME_UA, createPayload }
}

const sides = [
  { name: 'base', ...(await load(resolve(args.base))) },
  { name: 'this', ...(await load(here)) },
]
const scenarios: Record<string, number> = { single: 1, batch50: 50 }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

for (const name of args.only.split(',')) {
  const events = scenarios[name]
  if (events === undefined) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(', ')}`)
  const runners = sides.map((side) => {
    const payload = side.createPayload(KEY, { events })
    const send = async () => {
      const res = await side.app.request('/v1/batch', {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'user-agent': side.CHROME_UA },
        body: payload.next(),
      })
      if (res.status !== 202) throw new Error(`${side.name} ${name}: ${res.status} ${await res.text()}`)
      await res.arrayBuffer()
    }
    return { name: side.name, send, blocks: [] as number[] }
  })
  // About 200 events per block: long enough for the clock, short enough for many pairs.
  const perBlock = Math.max(4, Math.round(200 / events))
  for (const r of runners) for (let i = 0; i < 3000 / events + 300; i++) await r.send() // JIT and caches
  const until = Date.now() + Number(args.seconds) * 1000
  for (let round = 0; Date.now() < until; round++) {
    for (const r of round % 2 === 0 ? runners : [...runners].reverse()) {
      const start = process.hrtime.bigint()
      for (let i = 0; i < perBlock; i++) await r.send()
      r.blocks.push(Number(process.hrtime.bigint() - start) / 1000 / (perBlock * events))
    }
  }
  const [base, branch] = runners as [(typeof runners)[0], (typeof runners)[0]]
  const ratios = base.blocks.map((b, i) => branch.blocks[i]! / b)
  console.log(
    `${name.padEnd(8)} base ${median(base.blocks).toFixed(2)} us/event, this ${median(branch.blocks).toFixed(2)} us/event (medians of wall time per block); ` +
      `this/base ${median(ratios).toFixed(3)} (median over ${ratios.length} block pairs)`,
  )
}
