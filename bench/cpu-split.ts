// The server's CPU split between its main thread (JavaScript: HTTP, pipeline, encoding, spool
// appends) and all its other threads, and of those the embedded ClickHouse's apart from node's
// own (V8's GC helpers, libuv's pool: file writes and fsync), read from /proc, so a node and its
// ClickHouse can be sized apart (docs/performance.md, "Sizing").
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

const TICK_US = 1e6 / ticksPerSecond()

function ticksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
}

/** A /proc stat line's name (field 2) and utime + stime in µs (fields 14 and 15; the name may hold spaces and parentheses). */
function readStat(path: string): { name: string; us: number } {
  const text = readFileSync(path, 'utf8')
  const end = text.lastIndexOf(')')
  const fields = text.slice(end + 2).split(' ')
  return { name: text.slice(text.indexOf('(') + 1, end), us: (Number(fields[11]) + Number(fields[12])) * TICK_US }
}

export interface CpuSnapshot {
  mainUs: number
  totalUs: number
  /** CPU so far of each of node's own threads besides the main one, by tid. */
  nodeThreadsUs: Map<number, number>
}

/**
 * The main thread is the task whose tid equals the pid. The process's own stat line sums every
 * thread, including threads that ended since (the engine's pools come and go), so the other
 * threads are the total minus the main thread. Node's own threads keep the name the process
 * started with ("node": V8's platform workers, which run GC, and libuv's pool, which runs file
 * writes and fsync); the engine names its threads (QueryPipelineEx, MergeMutate, ThreadPool...),
 * so the engine's share is the other threads minus node's. Resolution: one clock tick (10 ms).
 */
export function cpuSnapshot(pid: number): CpuSnapshot {
  const main = readStat(`/proc/${pid}/task/${pid}/stat`)
  const nodeThreadsUs = new Map<number, number>()
  for (const tid of readdirSync(`/proc/${pid}/task`).map(Number)) {
    if (tid === pid) continue
    try {
      const t = readStat(`/proc/${pid}/task/${tid}/stat`)
      if (t.name === main.name) nodeThreadsUs.set(tid, t.us)
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return { mainUs: main.us, totalUs: readStat(`/proc/${pid}/stat`).us, nodeThreadsUs }
}

export interface CpuPerEvent {
  mainUs: number
  /** All the other threads: the engine's and node's own. */
  otherUs: number
  /** Of otherUs, the embedded engine's threads (otherUs less node's GC helpers and libuv pool). */
  engineUs: number
}

/** CPU between two snapshots per event; undefined without events. */
export function cpuPerEvent(before: CpuSnapshot, after: CpuSnapshot, events: number): CpuPerEvent | undefined {
  if (events <= 0) return undefined
  const main = after.mainUs - before.mainUs
  const other = after.totalUs - before.totalUs - main
  let nodeThreads = 0
  for (const [tid, us] of after.nodeThreadsUs) nodeThreads += us - (before.nodeThreadsUs.get(tid) ?? 0)
  return { mainUs: main / events, otherUs: other / events, engineUs: Math.max(0, other - nodeThreads) / events }
}
