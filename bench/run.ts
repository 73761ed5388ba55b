// `npm run bench [-- --mode spool|direct --server dist|tsx --duration 5 --connections 50 --only a,b --soak [--soak-minutes 10] --cpu-prof --probe --seed-recent-ids N --node-args "--flag ..." --autocannon-rate]`
// Load benchmark of the hot path (issue 5): the real server and a bare node:http ceiling, each a
// child process, the same payloads against both; prints a table, writes bench/results/latest.json.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { hashKey, randomKey } from '../src/apps/apps.ts'
import { countStored, type StoreTarget } from './count.ts'
import { cpuPerEvent, cpuSnapshot } from './cpu-split.ts'
import { runLoad, type LoadResult } from './load.ts'
import { createPayload } from './payloads.ts'
import { startReaders } from './readers.ts'
import { formatStalls, formatTail, formatTable, stallsIn, type ProbeSecond, type ScenarioResult } from './report.ts'
import { SCENARIOS, type Scenario } from './scenarios.ts'
import { startCeiling, startRelayChild, startVeilChild, type Child } from './servers.ts'

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string' },
    soak: { type: 'boolean', default: false },
    'soak-minutes': { type: 'string', default: '10' },
    'cpu-prof': { type: 'boolean', default: false },
    /** Event-loop delay, GC pauses and fdatasync times of the server per scenario (latency-probe.mjs). */
    probe: { type: 'boolean', default: false },
    /**
     * Ids put in recent_event_ids before the server starts (seed-recent-ids.ts), as two hours of
     * traffic leave it: 14400000 is two hours at 2 k events/s. With STORED_IDS_FILTER_BYTES=0 the
     * embedded server looks every id up, as a ClickHouse server's nodes do.
     */
    'seed-recent-ids': { type: 'string', default: '0' },
    /** The server's WRITE_MODE (src/config.ts); the spool is what reaches the figures in README. */
    mode: { type: 'string', default: process.env.WRITE_MODE ?? 'spool' },
    /**
     * dist: the production bundle the Docker image runs (`npm run build`, node dist/main.js);
     * tsx: the sources as `npm start` runs them (profiles name the source files).
     */
    server: { type: 'string', default: 'dist' },
    /** Extra flags for the server's node only (not the ceiling's), e.g. `--node-args=--max-semi-space-size=16`. */
    'node-args': { type: 'string', default: '' },
    /**
     * A fixed rate as autocannon paces it (bench/paced.ts says why that is not a steady rate),
     * to compare with figures taken before the paced load.
     */
    'autocannon-rate': { type: 'boolean', default: false },
  },
})
const seconds = Number(args.duration)
const connections = Number(args.connections)
const RESULTS = new URL('./results/', import.meta.url).pathname

const dir = mkdtempSync(join(tmpdir(), 'veil-bench-'))
const chUrl = process.env.CLICKHOUSE_URL
const target: StoreTarget = {
  DATA_DIR: join(dir, 'clickhouse'),
  CLICKHOUSE_URL: chUrl,
  CLICKHOUSE_USER: process.env.CLICKHOUSE_USER ?? 'default',
  CLICKHOUSE_PASSWORD: process.env.CLICKHOUSE_PASSWORD ?? '',
  // On a server, a database of its own that is dropped afterwards; embedded, the default one.
  CLICKHOUSE_DATABASE: chUrl ? `veil_bench_${Date.now()}` : 'veil',
}

let scenarios: Scenario[] = args.soak
  ? [SCENARIOS.find((s) => s.name === 'batch50')!, { ...SCENARIOS.find((s) => s.name === 'fixed_rate')!, name: 'soak' }]
  : SCENARIOS
if (args.only) {
  const wanted = new Set(args.only.split(','))
  scenarios = scenarios.filter((s) => wanted.has(s.name))
  // A fixed-rate scenario needs the run it takes half of.
  for (const s of [...scenarios]) {
    if (s.halfOf && !scenarios.some((d) => d.name === s.halfOf)) scenarios.unshift(SCENARIOS.find((d) => d.name === s.halfOf)!)
  }
}

const apps = [...scenarios.map((s) => s.name), 'warmup'].map((name) => ({
  id: `bench_${name}`,
  write_keys: [randomKey('wk')],
  read_keys: [randomKey('rk')],
}))
const keyOf = (name: string) => apps.find((a) => a.id === `bench_${name}`)!.write_keys[0]!
const readKeyOf = (name: string) => apps.find((a) => a.id === `bench_${name}`)!.read_keys[0]!
// The relay scenarios' apps are a relay site's (docs/relay.md); the relay reads the same file.
const relayKey = randomKey('rl')
const relayApps = scenarios.filter((s) => s.via === 'relay').map((s) => `bench_${s.name}`)
const relays = relayApps.length ? [{ id: 'bench-relay', keys: [hashKey(relayKey)], apps: relayApps }] : []
writeFileSync(join(dir, 'apps.json'), JSON.stringify({ apps, relays }))
/** The relay's /metrics shows its series with this token. */
const RELAY_METRICS_TOKEN = 'bench-relay-metrics-0123456789'

const veilEnv: Record<string, string> = {
  DATA_DIR: target.DATA_DIR,
  APPS_FILE: join(dir, 'apps.json'),
  CLICKHOUSE_DATABASE: target.CLICKHOUSE_DATABASE,
  // The benchmark measures the hot path, not the per-key rate limit.
  RATE_LIMIT_RPS: '10000000',
  RATE_LIMIT_BURST: '10000000',
  // The cold-client scenario sends X-Forwarded-For; believed only from this proxy (PRIVACY.md 2).
  TRUST_PROXY: '127.0.0.1',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  WRITE_MODE: args.mode,
  // Node's thread pool as `npm start`, `veil` and the image size it (docs/operations.md, "Thread pool").
  UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16',
  ...(args.probe ? { BENCH_PROBE_OUT: join(dir, 'probe.json') } : {}),
}

/**
 * Waits until the server's spool has fed every row to the engine (veil_spool_pending_rows is 0;
 * absent in direct mode), at most 60 s; returns how long that took.
 */
async function waitSpoolFed(url: string): Promise<number> {
  const t0 = Date.now()
  while (Date.now() - t0 < 60_000) {
    const text = await fetch(`${url}/metrics`).then((r) => r.text(), () => '')
    const m = /^veil_spool_pending_rows (\S+)$/m.exec(text)
    if (!m || Number(m[1]) === 0) return Date.now() - t0
    await new Promise((r) => setTimeout(r, 100))
  }
  return Date.now() - t0
}

/** Waits until the relay has forwarded every row (its spool's pending rows are 0), at most 120 s. */
async function waitRelayForwarded(url: string): Promise<number> {
  const t0 = Date.now()
  while (Date.now() - t0 < 120_000) {
    const text = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${RELAY_METRICS_TOKEN}` } }).then((r) => r.text(), () => '')
    const m = /^veil_spool_pending_rows (\S+)$/m.exec(text)
    if (m && Number(m[1]) === 0) return Date.now() - t0
    await new Promise((r) => setTimeout(r, 100))
  }
  return Date.now() - t0
}

/** The server's stored-ids lookups so far (veil_store_check_*; observability/server-metrics.ts timedStoredIds). */
async function storeCheckSoFar(url: string): Promise<{ lookups: number; seconds: number; ids: number }> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text(), () => '')
  const value = (name: string) => Number(new RegExp(`^veil_${name}(?:\\{\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0)
  return { lookups: value('store_check_duration_seconds_count'), seconds: value('store_check_duration_seconds_sum'), ids: value('store_check_ids_total') }
}

/** Samples the server's resident set while a load runs; the peak comes from VmHWM. */
function sampleRss(child: Child, every: number, out: { t: number; rss: number }[]): () => void {
  const t0 = Date.now()
  const timer = setInterval(() => out.push({ t: Date.now() - t0, rss: child.memory().rss }), every)
  return () => clearInterval(timer)
}

async function main(): Promise<void> {
  const load0 = loadavg()
  log(`machine: ${cpus().length} cores, load ${load0.map((l) => l.toFixed(2)).join(' ')}; storage ${chUrl ? chUrl : 'embedded chDB'}; WRITE_MODE=${args.mode}; server ${args.server}${args['node-args'] ? ` ${args['node-args']}` : ''}`)
  const profDir = join(RESULTS, 'profiles')
  if (args['cpu-prof']) mkdirSync(profDir, { recursive: true })
  const seedIds = Number(args['seed-recent-ids'])
  if (seedIds > 0) {
    log(`seeding recent_event_ids with ${seedIds} ids`)
    execFileSync(process.execPath, ['--import', 'tsx', new URL('./seed-recent-ids.ts', import.meta.url).pathname, target.DATA_DIR, String(seedIds), target.CLICKHOUSE_DATABASE], { stdio: 'inherit' })
  }
  const ceiling = await startCeiling()
  if (args.server !== 'dist' && args.server !== 'tsx') throw new Error('--server is dist or tsx')
  const nodeArgs = [
    ...args['node-args'].split(' ').filter(Boolean),
    ...(args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []),
    ...(args.probe ? ['--import', new URL('./latency-probe.mjs', import.meta.url).pathname] : []),
  ]
  const veil = await startVeilChild(veilEnv, args.server, nodeArgs)
  const relay = relayApps.length
    ? await startRelayChild({ ...veilEnv, DATA_DIR: join(dir, 'relay'), RELAY_CENTRAL_URL: veil.url, RELAY_KEY: relayKey, METRICS_TOKEN: RELAY_METRICS_TOKEN, WRITE_MODE: 'spool' }, args.server, args['node-args'].split(' ').filter(Boolean))
    : undefined
  const results: ScenarioResult[] = []
  const byName = new Map<string, { ceiling?: LoadResult; veil: LoadResult }>()
  let stopInfo = { ms: 0, code: null as number | null }
  try {
    // Warm the JIT and caches of both servers, so the first scenario is not penalised.
    const warm = createPayload(keyOf('warmup'), { events: 50 })
    await runLoad({ url: ceiling.url, payload: warm, seconds: 2, connections })
    await runLoad({ url: veil.url, payload: warm, seconds: 2, connections })

    for (const s of scenarios) {
      const base = s.halfOf ? byName.get(s.halfOf) : undefined
      const rate = base ? Math.max(1, Math.round(base.veil.reqPerSec / 2)) : undefined
      const runSeconds = s.name === 'soak' ? Number(args['soak-minutes']) * 60 : seconds
      const payload = createPayload(keyOf(s.name), s.payload)
      log(`${s.name}: ${s.what}${rate ? ` at ${rate} req/s` : ''} (${payload.bytes} B bodies)`)
      // A profile should hold the server's work only, so --cpu-prof skips the ceiling.
      const c = s.name === 'soak' || args['cpu-prof'] ? undefined : await runLoad({ url: ceiling.url, payload, seconds: runSeconds, connections, rate, coldClients: s.coldClients, autocannonRate: args['autocannon-rate'] })
      // A relay scenario measures the relay (sent to, sampled, its CPU in the table); the server's
      // CPU for the rows the relay forwards is logged beside it.
      const measured = s.via === 'relay' ? relay! : veil
      measured.resetPeak()
      const samples: { t: number; rss: number }[] = []
      const stopSampling = sampleRss(measured, s.name === 'soak' ? 10_000 : 250, samples)
      const loadBefore = loadavg()[0]
      const checkBefore = await storeCheckSoFar(veil.url)
      const cpuBefore = cpuSnapshot(measured.pid)
      const centralBefore = cpuSnapshot(veil.pid)
      const startedAt = Date.now()
      const readers = s.readersBeside ? startReaders(measured.url, readKeyOf(s.halfOf!), `bench_${s.halfOf}`, s.readersBeside) : undefined
      const v = await runLoad({ url: measured.url, payload, seconds: runSeconds, connections, rate, coldClients: s.coldClients, autocannonRate: args['autocannon-rate'] })
      const read = await readers?.stop()
      if (read) log(`${s.name}: ${read.reports} reports answered beside the load (${read.failed} failed), p50 ${read.p50.toFixed(0)} ms, slowest ${read.max.toFixed(0)} ms`)
      // The spool feeds the engine after the answers: the scenario's CPU includes its own rows'
      // feed, not the next scenario (background merges may still lag); a relay's, its forwards.
      const forwardMs = s.via === 'relay' ? await waitRelayForwarded(relay!.url) : 0
      const drainMs = forwardMs + (await waitSpoolFed(veil.url))
      const cpuAfter = cpuSnapshot(measured.pid)
      if (s.via === 'relay') {
        const central = cpuPerEvent(centralBefore, cpuSnapshot(veil.pid), v.acknowledged)
        if (central) log(`${s.name}: the server's CPU per forwarded row: main ${central.mainUs.toFixed(1)} µs, other ${central.otherUs.toFixed(1)} µs (engine ${central.engineUs.toFixed(1)}); forwards took ${forwardMs} ms after the load`)
      }
      stopSampling()
      const checkAfter = await storeCheckSoFar(veil.url)
      const lookups = checkAfter.lookups - checkBefore.lookups
      if (lookups > 0) {
        const ms = ((checkAfter.seconds - checkBefore.seconds) * 1000) / lookups
        log(`${s.name}: ${lookups} stored-ids lookups of ${((checkAfter.ids - checkBefore.ids) / lookups).toFixed(0)} ids on average, ${ms.toFixed(1)} ms each (wall)`)
      }
      byName.set(s.name, { ceiling: c, veil: v })
      results.push({
        name: s.name,
        what: s.what,
        rate,
        ceiling: c,
        veil: v,
        peakRss: measured.memory().hwm,
        cpu: cpuPerEvent(cpuBefore, cpuAfter, v.acknowledged),
        rssSamples: s.name === 'soak' ? samples : undefined,
        load1: loadBefore,
        drainMs,
        window: { from: startedAt, to: Date.now() },
        // At a fixed rate both servers only keep up: the ratio would measure the rate, not them.
        ratio: c && !rate ? v.eventsPerSec / c.eventsPerSec : undefined,
        stored: undefined,
      })
    }
  } finally {
    await ceiling.stop()
    await relay?.stop()
    stopInfo = await veil.stop()
    // The server's own log (LOG_LEVEL, default warn here), for when a figure needs explaining.
    if (process.env.BENCH_SHOW_LOG) log(`server log (tail):\n${veil.stderrTail()}`)
  }
  if (veilEnv.BENCH_PROBE_OUT && existsSync(veilEnv.BENCH_PROBE_OUT)) {
    const seconds = JSON.parse(readFileSync(veilEnv.BENCH_PROBE_OUT, 'utf8')) as ProbeSecond[]
    for (const r of results) r.stalls = stallsIn(seconds, r.window!)
  }
  const counts = await countStored(target, Boolean(chUrl))
  for (const r of results) {
    r.stored = counts.events[`bench_${r.name}`] ?? 0
    r.quarantined = counts.quarantine[`bench_${r.name}`] ?? 0
  }
  const load1 = loadavg()
  const report = {
    at: new Date().toISOString(),
    machine: { cores: cpus().length, model: cpus()[0]?.model, loadBefore: load0, loadAfter: load1, node: process.version },
    storage: chUrl ? 'server' : 'embedded',
    writeMode: args.mode,
    connections,
    secondsPerRun: seconds,
    stopMs: stopInfo.ms,
    stopCode: stopInfo.code,
    scenarios: results,
  }
  mkdirSync(RESULTS, { recursive: true })
  writeFileSync(join(RESULTS, args.soak ? 'soak.json' : 'latest.json'), JSON.stringify(report, null, 2) + '\n')
  process.stdout.write('\n' + formatTable(results) + '\n')
  process.stdout.write('\n' + formatTail(results) + '\n')
  if (results.some((r) => r.stalls)) process.stdout.write('\n' + formatStalls(results) + '\n')
  for (const r of results.filter((x) => x.rssSamples?.length)) {
    // Growth = the last minute against the second (the first holds warm-up and cache filling).
    const mb = (from: number, to: number) => {
      const xs = r.rssSamples!.filter((x) => x.t >= from && x.t < to).map((x) => x.rss)
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length / 2 ** 20 : NaN
    }
    const end = r.rssSamples!.at(-1)!.t
    log(`${r.name}: RSS minute 2 ${mb(60_000, 120_000).toFixed(0)} MB, last minute ${mb(end - 60_000, end + 1).toFixed(0)} MB, samples ${r.rssSamples!.map((x) => (x.rss / 2 ** 20).toFixed(0)).join(' ')}`)
  }
  log(`server stop (flush to ClickHouse) took ${stopInfo.ms} ms, exit code ${stopInfo.code}; load after ${load1.map((l) => l.toFixed(2)).join(' ')}`)
  log(`wrote ${join(RESULTS, args.soak ? 'soak.json' : 'latest.json')}`)
  rmSync(dir, { recursive: true, force: true })
  const lost = results.filter((r) => (r.stored ?? 0) < r.veil.acknowledged)
  if (lost.length) {
    log(`LOST EVENTS: ${lost.map((r) => `${r.name} acknowledged ${r.veil.acknowledged}, stored ${r.stored}`).join('; ')}`)
    process.exitCode = 1
  }
}

function log(s: string): void {
  process.stderr.write(`[bench] ${s}\n`)
}

main().catch((e: unknown) => {
  log(`failed: ${(e as Error).stack ?? String(e)}`)
  rmSync(dir, { recursive: true, force: true })
  process.exit(1)
})
