// `npx tsx bench/profile-top.ts <file.cpuprofile> [n] [from-s to-s]` (or `<file> --timeline`): the functions with the most self time
// in a V8 CPU profile (node --cpu-prof), and the same summed per source file, so a profile
// of the server can be read without DevTools.
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [file, n = '30', from, to] = process.argv.slice(2)
if (!file) throw new Error('usage: bench/profile-top.ts <file.cpuprofile> [n] [from-s to-s]')
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(p.nodes.map((node) => [node.id, node]))
// A window in seconds from the profile's start leaves out start-up, warm-up and idle stretches;
// `--timeline` prints the share of idle and GC per second to find it.
const fromUs = from === undefined ? -Infinity : Number(from) * 1e6
const toUs = to === undefined ? Infinity : Number(to) * 1e6
const self = new Map<number, number>()
const perSecond: { idle: number; gc: number; all: number }[] = []
let at = 0
p.samples.forEach((id, i) => {
  const us = p.timeDeltas[i] ?? 0
  at += us
  const second = (perSecond[Math.floor(at / 1e6)] ??= { idle: 0, gc: 0, all: 0 })
  const name = byId.get(id)!.callFrame.functionName
  second.all += us
  if (name === '(idle)') second.idle += us
  if (name === '(garbage collector)') second.gc += us
  if (at >= fromUs && at <= toUs) self.set(id, (self.get(id) ?? 0) + us)
})
if (process.argv.includes('--timeline')) {
  const pct = (x: number, all: number) => `${Math.round((100 * x) / all)}%`.padStart(4)
  perSecond.forEach((s, i) => s && process.stdout.write(`${String(i).padStart(4)} s  idle ${pct(s.idle, s.all)}  gc ${pct(s.gc, s.all)}\n`))
  process.exit(0)
}
const total = [...self.values()].reduce((a, b) => a + b, 0)
const fn = new Map<string, number>()
const files = new Map<string, number>()
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame
  const short = url.replace(/^.*\/(node_modules\/|src\/|bench\/)/, '$1')
  const key = `${functionName || '(anonymous)'}  ${short}:${lineNumber + 1}`
  fn.set(key, (fn.get(key) ?? 0) + us)
  const f = short.startsWith('node_modules/') ? short.split('/').slice(0, short.includes('/@') ? 3 : 2).join('/') : short || functionName
  files.set(f, (files.get(f) ?? 0) + us)
}
// Inclusive time: a sample counts for every distinct function on its stack.
const parent = new Map<number, number>()
for (const node of p.nodes) for (const c of node.children ?? []) parent.set(c, node.id)
const label = (id: number) => {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame
  return `${functionName || '(anonymous)'}  ${url.replace(/^.*\/(node_modules\/|src\/|bench\/|sdk\/)/, '$1')}:${lineNumber + 1}`
}
const inclusive = new Map<string, number>()
for (const [id, us] of self) {
  const seen = new Set<string>()
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const l = label(at)
    if (seen.has(l)) continue
    seen.add(l)
    inclusive.set(l, (inclusive.get(l) ?? 0) + us)
  }
}
const show = (m: Map<string, number>) =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(n)).map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n')
const window = from === undefined ? '' : ` from ${from} s to ${to ?? 'the end'}`
process.stdout.write(`total ${(total / 1e6).toFixed(1)} s sampled${window}\n\nself:\n${show(fn)}\n\ninclusive:\n${show(inclusive)}\n\nby file:\n${show(files)}\n`)
