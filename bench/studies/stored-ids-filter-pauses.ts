// How long does the filter of stored ids (src/storage/dedup/stored-ids-filter.ts) hold the main
// thread in one go? The worst synchronous stretch of each call the server makes, on a 100 k-row
// feed and a filter holding two hours of ids, measured as the longest gap between two turns of
// the event loop while the call runs (issue 30: nothing synchronous over 5 ms).
// `npx tsx bench/studies/stored-ids-filter-pauses.ts [--rows 100000] [--rate 2000] [--rounds 3]`
import { randomBytes, randomUUID } from 'node:crypto'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { createStoredIdsFilter } from '../../src/storage/dedup/stored-ids-filter.ts'
import { EVENT_ROWS } from '../../src/storage/rows/event-rows.ts'
import { benchRows } from './event-rows.ts'

const { values: args } = parseArgs({
  options: { rows: { type: 'string', default: '100000' }, rate: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '3' } },
})
const ROWS = Number(args.rows)
/** Events per second the filter has seen: each half hour holds rate * 1800 ids. */
const PER_HALF_HOUR = Number(args.rate) * 1800
const HALF_HOUR = 30 * 60_000

/**
 * The longest gap between two turns of the event loop (setImmediate) while `work` runs, in wall
 * time and in the process's CPU time (which a loaded machine's preemption does not inflate), and
 * the call's whole wall time.
 */
async function worstTurn(work: () => Promise<unknown> | unknown): Promise<{ worst: number; worstCpu: number; total: number }> {
  let worst = 0
  let worstCpu = 0
  let last = performance.now()
  let lastCpu = process.cpuUsage()
  let running = true
  const mark = () => {
    const t = performance.now()
    const cpu = process.cpuUsage(lastCpu)
    worst = Math.max(worst, t - last)
    worstCpu = Math.max(worstCpu, (cpu.user + cpu.system) / 1000)
    last = t
    lastCpu = process.cpuUsage()
  }
  const tick = () => {
    mark()
    if (running) setImmediate(tick)
  }
  setImmediate(tick)
  const start = performance.now()
  last = start
  lastCpu = process.cpuUsage()
  await work()
  const end = performance.now()
  mark()
  running = false
  return { worst, worstCpu, total: end - start }
}

const body = () => EVENT_ROWS.encode(benchRows(ROWS, Date.now()))
/** 16-byte ids as recent_event_ids gives them to the load (loadStoredIds). */
const idRows = (n: number) => randomBytes(16 * n)

async function round() {
  let clock = Date.UTC(2030, 0, 1, 10, 0)
  const f = createStoredIdsFilter({ windowMs: 2 * 3600_000, maxBytes: 64 * 2 ** 20, now: () => clock })
  // Two hours of ids, a half hour at a time, as a node at this rate leaves it.
  for (let h = 0; h < 4; h++) {
    for (let n = 0; n < PER_HALF_HOUR; n += 65_536) f.addIdRows(idRows(Math.min(65_536, PER_HALF_HOUR - n)))
    clock += HALF_HOUR
  }
  f.markLoaded()
  const out: Record<string, Awaited<ReturnType<typeof worstTurn>>> = {}
  // Inputs made before each measure: only the filter's own work is timed.
  const [b1, b2, b3, b4] = [body(), body(), body(), body()]
  const [load, small] = [idRows(65_536), idRows(8_192)]
  const ids = Array.from({ length: 5000 }, () => randomUUID())
  // The first call of a half hour makes its bucket's first filter, sized for the busiest kept.
  out['first call of a half hour (probableThenAdd)'] = await worstTurn(() => f.probableThenAdd(b1))
  out['probableThenAdd, steady'] = await worstTurn(() => f.probableThenAdd(b2))
  out['addBody, steady'] = await worstTurn(() => f.addBody(b3))
  out['probableInBody (not on the server path)'] = await worstTurn(() => f.probableInBody(b4))
  out['probable, 5,000 ids (direct mode group)'] = await worstTurn(() => f.probable(ids))
  out['addIdRows, 65,536 ids (a load slice before)'] = await worstTurn(() => f.addIdRows(load))
  out['addIdRows, 8,192 ids'] = await worstTurn(() => f.addIdRows(small))
  // What the load and direct mode call now (absent from an older checkout).
  if ('addIdRowsYielding' in f) out['addIdRowsYielding, 65,536 ids (the load now)'] = await worstTurn(() => f.addIdRowsYielding(load))
  if ('probableYielding' in f) out['probableYielding, 5,000 ids (direct mode now)'] = await worstTurn(() => f.probableYielding(ids))
  return out
}
/** The grow itself, alone: the add that finds the current filter full. */
async function growRound() {
  let clock = Date.UTC(2030, 0, 1, 10, 0)
  const f = createStoredIdsFilter({ windowMs: 2 * 3600_000, maxBytes: 64 * 2 ** 20, now: () => clock })
  f.addIdRows(idRows(1))
  const before = f.stats().bytes
  const slice = idRows(8192)
  let worst = 0
  // Until the budget is spent: every grow makes a filter four times the last one.
  while (f.stats().bytes < 60 * 2 ** 20 && f.stats().ids < 60_000_000) {
    const t = performance.now()
    f.addIdRows(slice)
    worst = Math.max(worst, performance.now() - t)
  }
  return { worst, bytes: f.stats().bytes, before }
}

console.log(`rows ${ROWS}, ${PER_HALF_HOUR} ids per half hour, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
for (let r = 0; r < Number(args.rounds); r++) {
  const out = await round()
  for (const [name, v] of Object.entries(out)) console.log(`${name.padEnd(48)} worst turn ${v.worst.toFixed(1).padStart(6)} ms wall, ${v.worstCpu.toFixed(1).padStart(6)} ms CPU; whole call ${v.total.toFixed(1).padStart(6)} ms`)
  const g = await growRound()
  console.log(`${'addIdRows of 8,192 ids at once, a filter growing'.padEnd(48)} worst ${g.worst.toFixed(1).padStart(6)} ms`)
}
