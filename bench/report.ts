// The benchmark's table: per scenario the ceiling, Veil, their ratio, latency, memory, and
// whether every acknowledged event was found in ClickHouse afterwards.
import type { CpuPerEvent } from './cpu-split.ts'
import type { LoadResult } from './load.ts'

export interface ScenarioResult {
  name: string
  what: string
  /** Fixed request rate, if the scenario has one. */
  rate?: number
  ceiling?: LoadResult
  veil: LoadResult
  /** The server's CPU per acknowledged event during the Veil run: main thread, other threads, the engine's of those. */
  cpu?: CpuPerEvent
  /** Peak resident set of the server during this scenario (VmHWM), bytes. */
  peakRss: number
  rssSamples?: { t: number; rss: number }[]
  /** 1-minute load average when the Veil run started. */
  load1: number
  /** How long the spool took to feed the scenario's last rows after the load stopped (inside the CPU figures). */
  drainMs?: number
  /** Veil events/s divided by the ceiling's, same payloads, same run. */
  ratio?: number
  stored?: number
  quarantined?: number
  /** Wall-clock span of the Veil run and its drain (ms since the epoch). */
  window?: { from: number; to: number }
  /** With --probe: what stalled the server's event loop during the run. */
  stalls?: Stalls
}

/** One second of latency-probe.mjs: event-loop delay, GC pauses and fdatasync times in it. */
export interface ProbeSecond {
  at: number
  lagMaxMs: number
  lagP99Ms: number
  gcMs: number[]
  syncMs: number[]
}

export interface Stalls {
  seconds: number
  /** Largest event-loop delay of any second, and the median of the seconds' p99s. */
  lagMaxMs: number
  lagP99MedianMs: number
  gcPauses: number
  gcMaxMs: number
  /** Share of the wall time spent in GC pauses on the main thread. */
  gcShare: number
  syncs: number
  syncP50Ms: number
  syncP99Ms: number
  syncMaxMs: number
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

/** The probe's seconds that began within the window (the first second of a run holds the previous one's tail). */
export function stallsIn(seconds: ProbeSecond[], window: { from: number; to: number }): Stalls | undefined {
  const xs = seconds.filter((s) => s.at >= window.from && s.at < window.to)
  if (xs.length === 0) return undefined
  const gc = xs.flatMap((s) => s.gcMs)
  const sync = xs.flatMap((s) => s.syncMs)
  return {
    seconds: xs.length,
    lagMaxMs: Math.max(...xs.map((s) => s.lagMaxMs)),
    lagP99MedianMs: quantile(xs.map((s) => s.lagP99Ms), 0.5),
    gcPauses: gc.length,
    gcMaxMs: Math.max(0, ...gc),
    gcShare: gc.reduce((a, b) => a + b, 0) / (xs.length * 1000),
    syncs: sync.length,
    syncP50Ms: quantile(sync, 0.5),
    syncP99Ms: quantile(sync, 0.99),
    syncMaxMs: Math.max(0, ...sync),
  }
}

/** The --probe table: what stalled the event loop in each scenario, beside its p99. */
export function formatStalls(results: ScenarioResult[]): string {
  const head = ['scenario', 'p99 ms', 'seconds', 'loop delay max ms', 'median p99 ms', 'GC pauses', 'GC max ms', 'GC share', 'fdatasyncs', 'sync p50 ms', 'sync p99 ms', 'sync max ms']
  const rows = results.filter((r) => r.stalls).map((r) => {
    const s = r.stalls!
    return [
      r.name + (r.rate ? ` @${r.rate}/s` : ''),
      String(r.veil.p99),
      String(s.seconds),
      s.lagMaxMs.toFixed(0),
      s.lagP99MedianMs.toFixed(0),
      String(s.gcPauses),
      s.gcMaxMs.toFixed(1),
      `${(s.gcShare * 100).toFixed(1)} %`,
      String(s.syncs),
      s.syncP50Ms.toFixed(1),
      s.syncP99Ms.toFixed(1),
      s.syncMaxMs.toFixed(1),
    ]
  })
  return columns(head, rows)
}

/** Text columns: the first left-aligned, the others right-aligned, a rule under the head. */
function columns(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

const k = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(0)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0))

/** The bare server's figure divided into Veil's, for latency (lower is better): '-' without a bare run. */
const times = (veil: number, bare: number | undefined) => (bare === undefined ? '-' : `${(veil / Math.max(bare, 1)).toFixed(1)}x`)

/**
 * The tail as users meet it, per scenario: p50, p99, p99.9 and the slowest answer of Veil, its p99
 * against the bare server's in the same run, and (with --probe) the worst event-loop pause.
 */
export function formatTail(results: ScenarioResult[]): string {
  const head = ['scenario', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'bare p99', 'p99 vs bare', 'bare p99.9', 'loop max ms']
  const rows = results.map((r) => [
    r.name + (r.rate ? ` @${r.rate}/s` : ''),
    String(r.veil.p50),
    String(r.veil.p99),
    String(r.veil.p999),
    String(r.veil.max),
    r.ceiling ? String(r.ceiling.p99) : '-',
    times(r.veil.p99, r.ceiling?.p99),
    r.ceiling ? String(r.ceiling.p999) : '-',
    r.stalls ? r.stalls.lagMaxMs.toFixed(0) : '-',
  ])
  return columns(head, rows)
}

export function formatTable(results: ScenarioResult[]): string {
  const head = ['scenario', 'ceil req/s', 'ceil ev/s', 'req/s', 'ev/s', 'ratio', 'main µs/ev', 'other µs/ev', 'engine µs/ev', 'p50 ms', 'p99 ms', 'ceil p99', 'non2xx', 'peak RSS', 'acked', 'stored']
  const rows = results.map((r) => [
    r.name + (r.rate ? ` @${r.rate}/s` : ''),
    r.ceiling ? k(r.ceiling.reqPerSec) : '-',
    r.ceiling ? k(r.ceiling.eventsPerSec) : '-',
    k(r.veil.reqPerSec),
    k(r.veil.eventsPerSec),
    r.ratio === undefined ? '-' : r.ratio.toFixed(2),
    r.cpu ? r.cpu.mainUs.toFixed(1) : '-',
    r.cpu ? r.cpu.otherUs.toFixed(1) : '-',
    r.cpu ? r.cpu.engineUs.toFixed(1) : '-',
    String(r.veil.p50),
    String(r.veil.p99),
    r.ceiling ? String(r.ceiling.p99) : '-',
    String(r.veil.non2xx + r.veil.errors),
    `${(r.peakRss / 2 ** 20).toFixed(0)} MB`,
    String(r.veil.acknowledged),
    r.stored === undefined ? '?' : `${r.stored}${r.stored < r.veil.acknowledged ? ' LOST' : ''}`,
  ])
  return columns(head, rows)
}
