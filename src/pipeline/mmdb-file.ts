// A MaxMind DB (.mmdb) reader that reads the file on demand through a small block cache instead
// of holding it in memory: the bundled DB-IP City files are 134 MB, which read whole were a
// third of an idle server's resident memory. Format: https://maxmind.github.io/MaxMind-DB/
// Kept over the `maxmind` library, which looks up faster but holds both files in memory:
// docs/performance.md "The geo reader" (bench/studies/mmdb-reader.ts).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'

const BLOCK_BITS = 12
const BLOCK = 1 << BLOCK_BITS
const METADATA_MARKER = Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1')
/** The spec's bound on the metadata section, searched for from the end of the file. */
const METADATA_MAX = 128 * 1024
const DATA_SECTION_SEPARATOR = 16

export class MmdbError extends Error {
  override name = 'MmdbError'
}

/** Bytes at absolute offsets: a whole buffer (the metadata) or the file through its cache. */
interface Source {
  byte(offset: number): number
  bytes(offset: number, length: number): Buffer
  /** The block holding `offset` (the file's), or the whole buffer (at 0). */
  block(offset: number): Buffer
}

function bufferSource(buf: Buffer): Source {
  return { byte: (o) => buf[o]!, bytes: (o, n) => buf.subarray(o, o + n), block: () => buf }
}

/**
 * The file read in 4 KiB blocks, the last `maxBlocks` kept (first in, first out: the tree's top
 * levels are read on every lookup and come straight back). The kernel's page cache holds the
 * rest, shared and reclaimable, and counted in no process's resident set.
 */
function fileSource(fd: number, size: number, maxBlocks: number): Source {
  const blocks = new Map<number, Buffer>()
  // Consecutive reads mostly fall in the same block (a record, a string): skip the map for them.
  let lastN = -1
  let last: Buffer = Buffer.alloc(0)
  const block = (n: number): Buffer => {
    if (n === lastN) return last
    let b = blocks.get(n)
    if (b) {
      lastN = n
      last = b
      return b
    }
    const start = n * BLOCK
    const length = Math.min(BLOCK, size - start)
    // The oldest block's buffer is reused: a cold lookup reads some 20 blocks, which would
    // otherwise all be garbage for the collector.
    let spare: Buffer | undefined
    lastN = -1
    if (blocks.size >= maxBlocks) {
      const oldest = blocks.keys().next().value!
      spare = blocks.get(oldest)
      blocks.delete(oldest)
    }
    b = spare?.length === length ? spare : Buffer.allocUnsafeSlow(length)
    let got = 0
    while (got < b.length) {
      const r = readSync(fd, b, got, b.length - got, start + got)
      if (r === 0) throw new MmdbError(`the database file ended at ${start + got} of ${size} bytes`)
      got += r
    }
    blocks.set(n, b)
    lastN = n
    last = b
    return b
  }
  return {
    block: (o) => block(o >>> BLOCK_BITS),
    byte: (o) => block(o >>> BLOCK_BITS)[o & (BLOCK - 1)]!,
    bytes(o, n) {
      const first = o >>> BLOCK_BITS
      const at = o & (BLOCK - 1)
      if (at + n <= BLOCK) return block(first).subarray(at, at + n)
      const out = Buffer.allocUnsafe(n)
      for (let done = 0; done < n; ) {
        const p = o + done
        const b = block(p >>> BLOCK_BITS)
        const from = p & (BLOCK - 1)
        done += b.copy(out, done, from, Math.min(b.length, from + n - done))
      }
      return out
    },
  }
}

/** Decodes the data section's values (spec: "Output Data Section"), pointers relative to `base`. */
function decodeAt(src: Source, base: number, offset: number): [value: unknown, next: number] {
  const ctrl = src.byte(offset++)
  let type = ctrl >> 5
  if (type === 1) {
    // A pointer: the value lives elsewhere; decoding goes on after the pointer itself.
    const ss = (ctrl >> 3) & 3
    const v = ctrl & 7
    let p: number
    if (ss === 0) p = (v << 8) | src.byte(offset)
    else if (ss === 1) p = ((v << 16) | uint(src, offset, 2)) + 2048
    else if (ss === 2) p = (v * 2 ** 24 + uint(src, offset, 3)) + 526336
    else p = uint(src, offset, 4)
    return [decodeAt(src, base, base + p)[0], offset + ss + 1]
  }
  if (type === 0) type = 7 + src.byte(offset++)
  let size = ctrl & 0x1f
  if (size === 29) size = 29 + src.byte(offset++)
  else if (size === 30) {
    size = 285 + uint(src, offset, 2)
    offset += 2
  } else if (size === 31) {
    size = 65821 + uint(src, offset, 3)
    offset += 3
  }
  switch (type) {
    case 2:
      return [src.bytes(offset, size).toString('utf8'), offset + size]
    case 3:
      return [src.bytes(offset, 8).readDoubleBE(0), offset + 8]
    case 4:
      return [Buffer.from(src.bytes(offset, size)), offset + size]
    case 5:
    case 6:
      return [uint(src, offset, size), offset + size]
    case 7: {
      const map: Record<string, unknown> = {}
      for (let i = 0; i < size; i++) {
        const [key, afterKey] = decodeAt(src, base, offset)
        const [value, afterValue] = decodeAt(src, base, afterKey)
        map[String(key)] = value
        offset = afterValue
      }
      return [map, offset]
    }
    case 8:
      return [size === 0 ? 0 : src.bytes(offset, size).readIntBE(0, size), offset + size]
    case 9:
    case 10:
      return [size <= 6 ? uint(src, offset, size) : bigUint(src, offset, size), offset + size]
    case 11: {
      const list: unknown[] = []
      for (let i = 0; i < size; i++) {
        const [value, next] = decodeAt(src, base, offset)
        list.push(value)
        offset = next
      }
      return [list, offset]
    }
    case 14:
      return [size !== 0, offset]
    case 15:
      return [src.bytes(offset, 4).readFloatBE(0), offset + 4]
    default:
      throw new MmdbError(`unknown data type ${type} at offset ${offset - 1}`)
  }
}

function uint(src: Source, offset: number, size: number): number {
  let n = 0
  for (let i = 0; i < size; i++) n = n * 256 + src.byte(offset + i)
  return n
}

function bigUint(src: Source, offset: number, size: number): bigint {
  let n = 0n
  for (let i = 0; i < size; i++) n = (n << 8n) | BigInt(src.byte(offset + i))
  return n
}

/**
 * An address's bytes (4 or 16). A small parser of its own: ipaddr.js's took 5-7 µs, more than
 * the lookup it served.
 */
export function addressBytes(ip: string): number[] {
  if (!ip.includes(':')) {
    const parts = ip.split('.')
    if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) throw new MmdbError(`not an IP address: ${ip}`)
    return parts.map(Number)
  }
  const halves = ip.split('::')
  if (halves.length > 2) throw new MmdbError(`not an IP address: ${ip}`)
  const groups = (s: string): number[] => {
    if (s === '') return []
    const out: number[] = []
    const parts = s.split(':')
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!
      if (i === parts.length - 1 && p.includes('.')) {
        const [a, b, c, d] = addressBytes(p)
        out.push((a! << 8) | b!, (c! << 8) | d!)
      } else if (/^[0-9a-f]{1,4}$/i.test(p)) out.push(parseInt(p, 16))
      else throw new MmdbError(`not an IP address: ${ip}`)
    }
    return out
  }
  const head = groups(halves[0]!)
  const tail = halves.length === 2 ? groups(halves[1]!) : []
  const zeros = 8 - head.length - tail.length
  if (halves.length === 2 ? zeros < 1 : zeros !== 0) throw new MmdbError(`not an IP address: ${ip}`)
  const bytes: number[] = []
  for (const g of [...head, ...new Array<number>(zeros).fill(0), ...tail]) bytes.push(g >> 8, g & 0xff)
  return bytes
}

export interface MmdbFile {
  readonly metadata: { nodeCount: number; recordSize: number; ipVersion: number; databaseType: string }
  /** The record for the address (a string IPv4 or IPv6 address), or null when none holds it. */
  get(ip: string): unknown
  close(): void
}

/** Opens an .mmdb file; `cacheBlocks` 4 KiB blocks of it are kept in memory. */
export function openMmdb(path: string, opts: { cacheBlocks?: number } = {}): MmdbFile {
  const fd = openSync(path, 'r')
  try {
    return readerOf(fd, fstatSync(fd).size, opts.cacheBlocks ?? 1024)
  } catch (e) {
    closeSync(fd)
    throw e
  }
}

function readerOf(fd: number, size: number, cacheBlocks: number): MmdbFile {
  const tailStart = Math.max(0, size - METADATA_MAX)
  const tail = Buffer.alloc(size - tailStart)
  readSync(fd, tail, 0, tail.length, tailStart)
  const mark = tail.lastIndexOf(METADATA_MARKER)
  if (mark < 0) throw new MmdbError('not a MaxMind DB file: no metadata marker')
  const meta = decodeAt(bufferSource(tail), 0, mark + METADATA_MARKER.length)[0] as Record<string, unknown>
  const nodeCount = Number(meta.node_count)
  const recordSize = Number(meta.record_size)
  const ipVersion = Number(meta.ip_version)
  if (![24, 28, 32].includes(recordSize) || !(nodeCount > 0)) throw new MmdbError(`unsupported tree: record_size ${recordSize}, node_count ${nodeCount}`)
  const nodeBytes = recordSize / 4
  const treeSize = nodeCount * nodeBytes
  const dataBase = treeSize + DATA_SECTION_SEPARATOR
  const dataEnd = tailStart + mark
  const src = fileSource(fd, size, Math.max(1, cacheBlocks))

  const node8 = Buffer.alloc(8)
  const record = (node: number, right: number): number => {
    const o = node * nodeBytes
    const at = o & (BLOCK - 1)
    let b: Buffer
    let i: number
    if (at + nodeBytes <= BLOCK) {
      b = src.block(o)
      i = at
    } else {
      // A node across two blocks (7 does not divide 4096): copied out once.
      src.bytes(o, nodeBytes).copy(node8)
      b = node8
      i = 0
    }
    if (recordSize === 24) return right ? b.readUIntBE(i + 3, 3) : b.readUIntBE(i, 3)
    if (recordSize === 32) return b.readUInt32BE(i + right * 4)
    const middle = b[i + 3]!
    return right ? (middle & 0x0f) * 2 ** 24 + b.readUIntBE(i + 4, 3) : ((middle & 0xf0) >> 4) * 2 ** 24 + b.readUIntBE(i, 3)
  }
  // In an IPv6 tree, IPv4 addresses are ::a.b.c.d: 96 zero bits (left records) from the root.
  let ipv4Start = 0
  if (ipVersion === 6) {
    for (let i = 0; i < 96 && ipv4Start < nodeCount; i++) ipv4Start = record(ipv4Start, 0)
  }

  return {
    metadata: { nodeCount, recordSize, ipVersion, databaseType: String(meta.database_type ?? '') },
    get(ip) {
      const bytes = addressBytes(ip)
      if (bytes.length === 16 && ipVersion === 4) throw new MmdbError(`an IPv6 address (${ip}) in an IPv4-only database`)
      let node = bytes.length === 4 ? ipv4Start : 0
      const bits = bytes.length * 8
      for (let depth = 0; depth < bits && node < nodeCount; depth++) {
        node = record(node, (bytes[depth >> 3]! >> (7 - (depth & 7))) & 1)
      }
      if (node <= nodeCount) return null // nodeCount: no data; below it: the address ran out of bits
      const at = node - nodeCount + treeSize
      if (at >= dataEnd) throw new MmdbError(`a record pointer past the data section (${at} >= ${dataEnd}): a damaged file`)
      return decodeAt(src, dataBase, at)[0]
    },
    close: () => closeSync(fd),
  }
}
