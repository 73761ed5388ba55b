// How long does the main thread stop when a hot-path cache is made and emptied, and what does a
// lookup cost, for lru-cache bounded by `max` (slots allocated up front) or by `maxSize` with a
// size of 1 per entry (arrays that grow with use)? src/privacy/keyed-cache.ts uses the second.
// `npx tsx bench/studies/keyed-cache.ts [--entries 200000] [--rounds 3]`; variants interleaved.
import { hash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { LRUCache } from 'lru-cache'

const { values: args } = parseArgs({ options: { entries: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '3' } } })
const N = Number(args.entries)
const keys = Array.from({ length: 2 * N }, (_, i) => hash('sha256', `k${i}`, 'base64'))

const variants: Record<string, () => LRUCache<string, object>> = {
  max: () => new LRUCache<string, object>({ max: N }),
  maxSize: () => new LRUCache<string, object>({ maxSize: N, sizeCalculation: () => 1 }),
}

function run(name: string, make: () => LRUCache<string, object>) {
  let t = performance.now()
  const c = make()
  const made = performance.now() - t
  // Twice as many keys as slots: the second half evicts the first.
  let worstSet = 0
  t = performance.now()
  for (const k of keys) {
    const s = performance.now()
    c.set(k, { k })
    worstSet = Math.max(worstSet, performance.now() - s)
  }
  let hits = 0
  for (let i = N; i < 2 * N; i++) if (c.get(keys[i]!)) hits++
  const perOp = ((performance.now() - t) / (3 * N)) * 1e6
  t = performance.now()
  c.clear()
  const cleared = performance.now() - t
  t = performance.now()
  make()
  const replaced = performance.now() - t
  if (hits !== N) throw new Error(`${name}: ${hits} hits of ${N}`)
  console.log(`${name.padEnd(8)} made ${made.toFixed(2)} ms, worst set ${worstSet.toFixed(2)} ms, ${perOp.toFixed(0)} ns per set or get, clear() ${cleared.toFixed(1)} ms, a new one ${replaced.toFixed(2)} ms`)
}

for (let r = 0; r < Number(args.rounds); r++) for (const [name, make] of Object.entries(variants)) run(name, make)
