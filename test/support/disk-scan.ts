// What a data directory holds, as a reader of its bytes would see it: every file under a
// directory, with ClickHouse's compressed blocks (`.bin` files of parts, LZ4 or none) decompressed.
// A search of the raw bytes alone misses a value that LZ4 stored as a back-reference: a random
// hex string repeats a 4-byte group often enough that such a check failed one run in two.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** A file or directory the engine removed between the listing and the read (its temporary parts). */
const gone = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT'

export const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    try {
      return statSync(p).isDirectory() ? filesUnder(p) : [p]
    } catch (e) {
      if (gone(e)) return []
      throw e
    }
  })

/** Decodes one LZ4 block (no frame) of a known decompressed size. */
export function lz4Block(src: Buffer, size: number): Buffer {
  const out = Buffer.alloc(size)
  let i = 0
  let o = 0
  const length = (n: number) => {
    if (n !== 15) return n
    let b: number
    do n += b = src[i++]!
    while (b === 255)
    return n
  }
  while (i < src.length) {
    const token = src[i++]!
    const literals = length(token >> 4)
    src.copy(out, o, i, i + literals)
    i += literals
    o += literals
    if (i >= src.length) break
    const offset = src[i]! | (src[i + 1]! << 8)
    i += 2
    const match = length(token & 15) + 4
    for (let k = 0; k < match; k++, o++) out[o] = out[o - offset]!
  }
  return out
}

const LZ4 = 0x82
const NONE = 0x02

/**
 * The decompressed content of a file of ClickHouse compressed blocks (16-byte checksum, method,
 * compressed size with the 9-byte header, decompressed size, payload), or undefined if the file
 * is not one (marks, checksums.txt, columns.txt, a spool segment, ...).
 */
export function decompressBlocks(buf: Buffer): Buffer | undefined {
  const parts: Buffer[] = []
  let p = 0
  while (p < buf.length) {
    if (p + 25 > buf.length) return undefined
    const method = buf[p + 16]!
    const compressed = buf.readUInt32LE(p + 17)
    const size = buf.readUInt32LE(p + 21)
    const end = p + 16 + compressed
    if ((method !== LZ4 && method !== NONE) || compressed < 9 || end > buf.length) return undefined
    const payload = buf.subarray(p + 25, end)
    try {
      parts.push(method === NONE ? payload : lz4Block(payload, size))
    } catch {
      return undefined
    }
    p = end
  }
  return parts.length ? Buffer.concat(parts) : undefined
}

/** Every file under `dir` with its bytes as stored and, where it is compressed, as decompressed. */
export function readStored(dir: string): { file: string; content: Buffer }[] {
  return filesUnder(dir).flatMap((file) => {
    let raw: Buffer
    try {
      raw = readFileSync(file)
    } catch (e) {
      if (gone(e)) return []
      throw e
    }
    const plain = decompressBlocks(raw)
    return [{ file, content: plain ? Buffer.concat([raw, Buffer.from('\n'), plain]) : raw }]
  })
}

/** The files under `dir` whose stored or decompressed bytes contain `needle`. */
export function filesHolding(dir: string, needle: string | Buffer): string[] {
  return readStored(dir)
    .filter(({ content }) => content.includes(needle))
    .map(({ file }) => file)
}
