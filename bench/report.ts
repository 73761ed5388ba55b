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
}

const k = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(0)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0))

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
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}
