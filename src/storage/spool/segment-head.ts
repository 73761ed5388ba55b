// The head of a segment: what the segment before it held when it was closed (its number, bytes,
// frames and rows), so a start can tell a segment deleted, or cut at a frame boundary, while the
// spool was stopped (replay-check.ts). Without it both looked like a spool with less in it.
import { crc32 } from 'node:zlib'

/** "VSG1": not a frame magic ("VSP"), so a frame scan never takes a head for a frame. */
const HEAD_MAGIC = 0x56534731
/** How many segments before it a head seals: a cut one is still known when the next is deleted. */
const SEALS = 2
export const HEAD_BYTES = 8 + SEALS * 16 + 4

/** A closed segment as its writer left it: the bytes the file had, its frames and their rows. */
export interface Seal {
  seq: number
  bytes: number
  frames: number
  rows: number
}

/** The head of segment `seq`, sealing the segments before it (`prev`, newest first; none for a spool's first). */
export function encodeHead(seq: number, prev: readonly Seal[]): Buffer {
  const b = Buffer.alloc(HEAD_BYTES)
  b.writeUInt32LE(HEAD_MAGIC, 0)
  b.writeUInt32LE(seq, 4)
  prev.slice(0, SEALS).forEach((p, i) => {
    const at = 8 + i * 16
    b.writeUInt32LE(p.seq, at)
    b.writeUInt32LE(p.bytes, at + 4)
    b.writeUInt32LE(p.frames, at + 8)
    b.writeUInt32LE(p.rows, at + 12)
  })
  b.writeUInt32LE(crc32(b.subarray(0, HEAD_BYTES - 4)), HEAD_BYTES - 4)
  return b
}

/** The head at the start of `buf`, if there is a whole one, with the seals it holds (newest first). */
export function readHead(buf: Buffer): { seq: number; prev: Seal[] } | undefined {
  if (buf.length < HEAD_BYTES || buf.readUInt32LE(0) !== HEAD_MAGIC) return undefined
  if (crc32(buf.subarray(0, HEAD_BYTES - 4)) !== buf.readUInt32LE(HEAD_BYTES - 4)) return undefined
  const prev: Seal[] = []
  for (let i = 0; i < SEALS; i++) {
    const at = 8 + i * 16
    const seq = buf.readUInt32LE(at)
    if (seq > 0) prev.push({ seq, bytes: buf.readUInt32LE(at + 4), frames: buf.readUInt32LE(at + 8), rows: buf.readUInt32LE(at + 12) })
  }
  return { seq: buf.readUInt32LE(4), prev }
}
