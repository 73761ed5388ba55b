// On-disk layout of the write-ahead spool: segment files of checksummed frames, an intent log
// saying which range of which segment is being inserted, and the spool's id. Pure byte work and
// file reading; the spool itself (spool.ts) decides when to write, sync and insert.
import { randomBytes } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** "VSP1": a frame starts here. */
const FRAME_MAGIC = 0x56535031
/** magic, payload length, rows, crc32 of the payload; all u32 little-endian. */
export const FRAME_HEADER_BYTES = 16

export function frameHeader(payload: Buffer, rows: number): Buffer {
  const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES)
  h.writeUInt32LE(FRAME_MAGIC, 0)
  h.writeUInt32LE(payload.length, 4)
  h.writeUInt32LE(rows, 8)
  h.writeUInt32LE(crc32(payload), 12)
  return h
}

export interface Frame {
  /** Byte range of the whole frame (header included) in its segment. */
  offset: number
  end: number
  rows: number
  payload: Buffer
}

/**
 * The valid frames of a segment, in order, and how many bytes after them are not a valid frame.
 * A torn or corrupted frame ends the segment: its length field cannot be trusted to find the next.
 */
export function readFrames(buf: Buffer): { frames: Frame[]; corruptBytes: number } {
  const frames: Frame[] = []
  let at = 0
  while (at + FRAME_HEADER_BYTES <= buf.length) {
    if (buf.readUInt32LE(at) !== FRAME_MAGIC) break
    const len = buf.readUInt32LE(at + 4)
    const end = at + FRAME_HEADER_BYTES + len
    if (end > buf.length) break
    const payload = buf.subarray(at + FRAME_HEADER_BYTES, end)
    if (crc32(payload) !== buf.readUInt32LE(at + 12)) break
    frames.push({ offset: at, end, rows: buf.readUInt32LE(at + 8), payload })
    at = end
  }
  return { frames, corruptBytes: buf.length - at }
}

/** Segment files are numbered; the number never repeats within one spool (see nextSeq). */
export const segmentName = (seq: number) => `${String(seq).padStart(10, '0')}.seg`

export function listSegments(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => /^\d{10}\.seg$/.test(f))
    .map((f) => Number(f.slice(0, 10)))
    .sort((a, b) => a - b)
}

/** The insert of [start, end) of segment `seq` was about to start (or started). */
export interface Intent {
  seq: number
  start: number
  end: number
}

const INTENT_MAGIC = 0x56534931 // "VSI1"
export const INTENT_BYTES = 20

export function encodeIntent(i: Intent): Buffer {
  const b = Buffer.allocUnsafe(INTENT_BYTES)
  b.writeUInt32LE(INTENT_MAGIC, 0)
  b.writeUInt32LE(i.seq, 4)
  b.writeUInt32LE(i.start, 8)
  b.writeUInt32LE(i.end, 12)
  b.writeUInt32LE(crc32(b.subarray(0, 16)), 16)
  return b
}

/**
 * The newest whole intent of the log. Inserts go in order, so the newest is the greatest
 * (segment, end); a torn record is skipped: its insert never started, it waited for the sync.
 */
export function lastIntent(path: string): Intent | undefined {
  if (!existsSync(path)) return undefined
  const buf = readFileSync(path)
  let last: Intent | undefined
  for (let at = 0; at + INTENT_BYTES <= buf.length; at += INTENT_BYTES) {
    if (buf.readUInt32LE(at) !== INTENT_MAGIC || crc32(buf.subarray(at, at + 16)) !== buf.readUInt32LE(at + 16)) continue
    const i = { seq: buf.readUInt32LE(at + 4), start: buf.readUInt32LE(at + 8), end: buf.readUInt32LE(at + 12) }
    if (!last || i.seq > last.seq || (i.seq === last.seq && i.end > last.end)) last = i
  }
  return last
}

/**
 * A random id per spool directory, part of every insert token: two nodes (or a wiped and
 * recreated spool) never produce the same token for different rows.
 */
export function spoolId(dir: string): string {
  const path = join(dir, 'id')
  if (existsSync(path)) return readFileSync(path, 'utf8').trim()
  const id = randomBytes(8).toString('hex')
  writeFileSync(path, id + '\n', { flush: true })
  return id
}
