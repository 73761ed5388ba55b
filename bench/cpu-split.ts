// The server's CPU split between its main thread (JavaScript: HTTP, pipeline, encoding, spool
// appends) and all its other threads (the embedded ClickHouse, libuv's pool, GC helpers), read
// from /proc, so a node and its ClickHouse can be sized apart (bench/README.md "Sizing").
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const TICK_US = 1e6 / ticksPerSecond()

function ticksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
}

/** utime + stime of a /proc stat line, in µs (fields 14 and 15; the name may hold spaces). */
function statCpuUs(path: string): number {
  const text = readFileSync(path, 'utf8')
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * TICK_US
}

export interface CpuSnapshot {
  mainUs: number
  totalUs: number
}

/**
 * The main thread is the task whose tid equals the pid. The process's own stat line sums every
 * thread, including threads that ended since (the engine's pools come and go), so the other
 * threads are the total minus the main thread. Resolution: one clock tick (10 ms).
 */
export function cpuSnapshot(pid: number): CpuSnapshot {
  return { mainUs: statCpuUs(`/proc/${pid}/task/${pid}/stat`), totalUs: statCpuUs(`/proc/${pid}/stat`) }
}

export interface CpuPerEvent {
  mainUs: number
  otherUs: number
}

/** CPU between two snapshots per event; undefined without events. */
export function cpuPerEvent(before: CpuSnapshot, after: CpuSnapshot, events: number): CpuPerEvent | undefined {
  if (events <= 0) return undefined
  const main = after.mainUs - before.mainUs
  const other = after.totalUs - before.totalUs - main
  return { mainUs: main / events, otherUs: other / events }
}
