// Loaded into the bench's server with `npm run bench -- --probe` (node --import): what stalls the
// server's event loop, second by second, so a p99 can be explained. Per second of wall time:
// the event loop's delay (max and p99, from monitorEventLoopDelay at 2 ms resolution), every
// GC pause (PerformanceObserver 'gc'), and every fdatasync of a FileHandle (the spool's group
// commits) with its duration. Written as JSON to $BENCH_PROBE_OUT when the process exits; the
// bench reads it back per scenario (run.ts). Plain JavaScript: the production bundle runs
// under node without a TypeScript loader.
import { open } from 'node:fs/promises'
import { writeFileSync } from 'node:fs'
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'

const out = process.env.BENCH_PROBE_OUT
if (out) {
  const seconds = []
  const loop = monitorEventLoopDelay({ resolution: 2 })
  loop.enable()
  let current = { at: Date.now(), gcMs: [], syncMs: [] }
  setInterval(() => {
    seconds.push({ at: current.at, lagMaxMs: loop.max / 1e6, lagP99Ms: loop.percentile(99) / 1e6, gcMs: current.gcMs, syncMs: current.syncMs })
    loop.reset()
    current = { at: Date.now(), gcMs: [], syncMs: [] }
  }, 1000).unref()
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) current.gcMs.push(e.duration)
  }).observe({ entryTypes: ['gc'] })
  // FileHandle's prototype, from a handle of our own: the spool's fdatasync goes through it.
  const fh = await open('/dev/null')
  const proto = Object.getPrototypeOf(fh)
  await fh.close()
  const datasync = proto.datasync
  proto.datasync = async function probedDatasync() {
    const t0 = performance.now()
    try {
      return await datasync.call(this)
    } finally {
      current.syncMs.push(performance.now() - t0)
    }
  }
  process.on('exit', () => writeFileSync(out, JSON.stringify(seconds)))
}
