// CPU and heap of the retry-id memory alone (src/storage/dedup/retry-memory.ts): plan() and track() of
// 50-event batches of fresh UUIDs, as the batch route calls them, through more ids than the
// memory holds, so that eviction is part of the figure.
//
//   node --expose-gc --import tsx bench/studies/dedup.ts [--ids 3000000] [--window 1000000]
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import { createIdDedup } from '../../src/storage/dedup/retry-memory.ts'

const { values: args } = parseArgs({ options: { ids: { type: 'string', default: '3000000' }, window: { type: 'string', default: '1000000' } } })
const total = Number(args.ids)
const BATCH = 50
const ids = Array.from({ length: total }, () => randomUUID())
const done = Promise.resolve()
const idOf = (s: string) => s

// Retained memory, not garbage: collect before each reading when --expose-gc allows it.
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
gc()
const heap0 = process.memoryUsage()
const dedup = createIdDedup(Number(args.window))
const cpu0 = process.cpuUsage()
let fresh = 0
for (let i = 0; i < total; i += BATCH) {
  const batch = ids.slice(i, i + BATCH)
  const plan = dedup.plan(batch, idOf)
  dedup.track(plan.fresh, done)
  fresh += plan.fresh.length
  // A retry of the previous batch now and then: the lookups that find something.
  if (i % (BATCH * 20) === 0 && i > 0) dedup.plan(ids.slice(i - BATCH, i), idOf)
}
const cpu = process.cpuUsage(cpu0)
gc()
const heap1 = process.memoryUsage()
const mb = (n: number) => (n / 2 ** 20).toFixed(0)
console.log(
  `${((cpu.user + cpu.system) / total).toFixed(3)} us of CPU per id over ${total} ids (${fresh} fresh), window ${args.window}; ` +
    `array buffers +${mb(heap1.arrayBuffers - heap0.arrayBuffers)} MB, rss +${mb(heap1.rss - heap0.rss)} MB, size ${dedup.size}`,
)
