// What do 1-event appends get from the spool's group commit (src/storage/spool/append.ts): appends
// per second, latency, fdatasyncs, main-thread CPU per append, with one group at a time and a
// statfs before every write (as the spool did before), the next group written while one syncs
// (groupsInFlight 2, 4), and the free-space budget? No engine and no feed: `--connections`
// appenders in a closed loop, each waiting for its append's sync, on the temp directory's disk.
// `npx tsx bench/studies/spool-append.ts [--seconds 5] [--rounds 2] [--connections 50] [--rate N]
//   [--sync-ms N] [--variants serial-statfs,depth2,depth4] [--base /path/to/other/checkout/src]`;
// variants interleaved. `--rate` sends N appends a second (one tick a millisecond) instead of the
// closed loop, for latency at a fixed rate; `--sync-ms` adds N ms to each segment fdatasync (a
// disk shared with the engine's part fsyncs). `--base` adds the variant `base`: openSpool of
// another checkout, its defaults.
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { tempDir } from '../../test/support/server.ts'
import type { Spool, SpoolOptions } from '../../src/storage/spool/types.ts'
import { nodeSpoolFs, type SpoolFs } from '../../src/storage/spool/spool-fs.ts'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    variants: { type: 'string', default: 'serial-statfs,serial,depth2,depth16' },
    base: { type: 'string' },
    rate: { type: 'string' },
    'sync-ms': { type: 'string', default: '0' },
  },
})

type Open = (o: SpoolOptions) => Promise<Spool>
const ours = (await import('../../src/storage/spool/spool.ts')).openSpool as Open
const theirs = args.base ? ((await import(join(args.base, 'storage/spool/spool.ts'))) as { openSpool: Open }).openSpool : undefined

const syncMs = Number(args['sync-ms'])
const slowFs: SpoolFs = {
  ...nodeSpoolFs,
  async open(path, mode) {
    const f = await nodeSpoolFs.open(path, mode)
    return path.endsWith('.seg') ? { ...f, datasync: () => f.datasync().then(() => new Promise((r) => setTimeout(r, syncMs))) } : f
  },
}

/** diskCheckBytes 1 looks at the disk before every frame, as the spool did before the budget. */
const VARIANTS: Record<string, { open: Open; over: Partial<SpoolOptions> }> = {
  'serial-statfs': { open: ours, over: { groupsInFlight: 1, diskCheckBytes: 1 } },
  'depth2-statfs': { open: ours, over: { groupsInFlight: 2, diskCheckBytes: 1 } },
  serial: { open: ours, over: { groupsInFlight: 1 } },
  depth2: { open: ours, over: { groupsInFlight: 2 } },
  default: { open: ours, over: {} },
  depth4: { open: ours, over: { groupsInFlight: 4 } },
  depth8: { open: ours, over: { groupsInFlight: 8 } },
  depth16: { open: ours, over: { groupsInFlight: 16 } },
  depth64: { open: ours, over: { groupsInFlight: 64 } },
  ...(theirs ? { base: { open: theirs, over: {} } } : {}),
}

// One event as the server spools it (JSONCompactEachRow, about the single scenario's row).
const now = Date.now()
const ROW = Buffer.from(JSON.stringify(['bench-app', '00000000-0000-4000-8000-000000000001', 'page_view', now, now, 'u1', 's1', '', 1, { path: '/pricing', referrer: '' }, {}, 'DE', 'BE', 'Chrome', '126', 'Linux', '', 'desktop', 'de', 1280, 720, '', '', 'user']) + '\n')

const mainUs = () => {
  const text = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) * 1e4 // clock ticks of 10 ms
}

async function run(name: string): Promise<string> {
  const v = VARIANTS[name]
  if (!v) throw new Error(`no variant ${name}: ${Object.keys(VARIANTS).join(', ')}`)
  const dir = tempDir('spool-append-study-')
  const spool = await v.open({ dir, insert: async () => {}, maxBytes: 1024 * 2 ** 20, segmentBytes: 64 * 2 ** 20, insertRows: 100_000, feedDelayMs: 3_600_000, minFreeBytes: 64 * 2 ** 20, ...(syncMs > 0 ? { fs: slowFs } : {}), ...v.over })
  const lat: number[] = []
  const end = performance.now() + Number(args.seconds) * 1000
  const cpu0 = process.cpuUsage()
  const main0 = mainUs()
  const t0 = performance.now()
  const one = async () => {
    const s = performance.now()
    await spool.append(ROW, 1)
    lat.push(performance.now() - s)
  }
  if (args.rate) {
    // Open loop: what is due by now is sent each millisecond, whatever is still waiting.
    const rate = Number(args.rate)
    const sent: Promise<void>[] = []
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - t0) * rate) / 1000)
      while (sent.length < due) sent.push(one())
      await new Promise((r) => setTimeout(r, 1))
    }
    await Promise.all(sent)
  } else {
    await Promise.all(
      Array.from({ length: Number(args.connections) }, async () => {
        while (performance.now() < end) await one()
      }),
    )
  }
  const wall = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const main = mainUs() - main0
  const syncs = spool.stats().syncs
  await spool.close(1000)
  rmSync(dir, { recursive: true, force: true })
  lat.sort((a, b) => a - b)
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(1)
  const n = lat.length
  return [name.padEnd(14), String(Math.round(n / wall)).padStart(8), q(0.5).padStart(7), q(0.99).padStart(7), lat[n - 1]!.toFixed(1).padStart(7),
    String(Math.round(syncs / wall)).padStart(8), (n / syncs).toFixed(1).padStart(8), (main / n).toFixed(1).padStart(9), ((cpu.user + cpu.system) / n).toFixed(1).padStart(9)].join(' ')
}

console.log(`[spool-append] ${args.rate ? `${args.rate} appends/s` : `${args.connections} appenders`}, sync +${syncMs} ms, ${args.seconds} s per variant, ${ROW.length}-byte rows; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
console.log('variant        append/s  p50 ms  p99 ms  max ms  syncs/s  per sync  main µs/a  all µs/a')
for (let r = 0; r < Number(args.rounds); r++) {
  for (const name of args.variants.split(',')) console.log(await run(name))
}
console.log(`[spool-append] load after ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
