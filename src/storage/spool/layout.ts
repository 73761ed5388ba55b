// On-disk layout of the write-ahead spool: segment files of frames whose header and payload are
// both checksummed, a fixed-size intent log saying which range of which segment is being
// inserted, and the spool's id. Pure byte work; the spool itself (spool.ts) decides what to do.
import { randomBytes } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { RowsFormat } from '../rows/rows-format.ts'
import { HEAD_BYTES, readHead } from './segment-head.ts'

/**
 * "VSP3": magic, payload length, rows, crc32 of the payload, crc32 of the 16 bytes before; the
 * payload is RowBinary (rows-format.ts).
 */
const FRAME_MAGIC = 0x56535033
/** "VSP2": the same header, the payload JSONCompactEachRow (earlier versions, and rows RowBinary cannot express). */
const FRAME_MAGIC_JSON = 0x56535032
/** What the three magics share ("VSP"): the byte after it says the version. */
const MAGIC_PREFIX = Buffer.from([0x50, 0x53, 0x56])
/** "VSP1": frames of earlier versions, without a header checksum; read, never written. */
const FRAME_MAGIC_V1 = 0x56535031
export const FRAME_HEADER_BYTES = 20

/** The header of a frame whose payload is `parts` one after the other (written with writev: no concat). */
export function frameHeader(parts: Buffer | readonly Buffer[], rows: number, format: RowsFormat = 'JSONCompactEachRow'): Buffer {
  const list = Buffer.isBuffer(parts) ? [parts] : parts
  let length = 0
  let crc = 0
  for (const p of list) {
    length += p.length
    crc = crc32(p, crc)
  }
  const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES)
  h.writeUInt32LE(format === 'RowBinary' ? FRAME_MAGIC : FRAME_MAGIC_JSON, 0)
  h.writeUInt32LE(length, 4)
  h.writeUInt32LE(rows, 8)
  h.writeUInt32LE(crc, 12)
  h.writeUInt32LE(crc32(h.subarray(0, 16)), 16)
  return h
}

/** The next offset after `at` where a frame magic of any version starts, or -1. */
function nextMagic(buf: Buffer, at: number): number {
  // The prefix sits one byte into a magic: from at + 2, so the magic at `at` itself is never found.
  for (let i = buf.indexOf(MAGIC_PREFIX, at + 2); i >= 0; i = buf.indexOf(MAGIC_PREFIX, i + 1)) {
    const v = buf[i - 1]
    if (v === 0x31 || v === 0x32 || v === 0x33) return i - 1
  }
  return -1
}

export interface Frame {
  /** Byte range of the whole frame (header included) in its segment. */
  offset: number
  end: number
  rows: number
  payload: Buffer
  format: RowsFormat
}

export interface Scan {
  frames: Frame[]
  /** The bytes scanned: each frame's payload is a view of them. */
  source: Buffer
  /** Bytes that are not part of a valid frame, wherever they are. */
  corruptBytes: number
  /** Rows of frames whose header was intact but whose payload was not. */
  corruptRows: number
  /** Damage other than a torn last frame (a flipped byte, not a write cut short by a crash). */
  damaged: boolean
}

/**
 * The frame at `at`; 'torn' if one starts there but the buffer ends inside it (a write cut short),
 * 'bad' if none starts there, or the rows of a whole frame that fails its payload check.
 */
function frameAt(buf: Buffer, at: number): Frame | 'bad' | 'torn' | { badRows: number; end: number } {
  const magic = buf.readUInt32LE(at)
  const v1 = magic === FRAME_MAGIC_V1
  if (magic !== FRAME_MAGIC && magic !== FRAME_MAGIC_JSON && !v1) return 'bad'
  const headerBytes = v1 ? 16 : FRAME_HEADER_BYTES
  if (at + headerBytes > buf.length) return 'torn'
  if (!v1 && crc32(buf.subarray(at, at + 16)) !== buf.readUInt32LE(at + 16)) return 'bad'
  const end = at + headerBytes + buf.readUInt32LE(at + 4)
  if (end > buf.length) return nextMagic(buf, at) < 0 ? 'torn' : 'bad'
  const payload = buf.subarray(at + headerBytes, end)
  const rows = buf.readUInt32LE(at + 8)
  // A v1 length is unchecked: a failed payload check says nothing about where the next frame is.
  if (crc32(payload) !== buf.readUInt32LE(at + 12)) return v1 ? 'bad' : { badRows: rows, end }
  return { offset: at, end, rows, payload, format: magic === FRAME_MAGIC ? 'RowBinary' : 'JSONCompactEachRow' }
}

/**
 * The valid frames of a segment, in order. A damaged frame does not end the segment: with an
 * intact header its length is trusted and the next frame follows it; otherwise the scan looks
 * for the next frame magic whose header checksum holds (Kafka's and Vector's disk buffers
 * likewise skip a bad record instead of dropping the file).
 */
export function readFrames(buf: Buffer): Scan {
  return runAtOnce(scanFrames(buf))
}

/**
 * readFrames in slices of about `sliceMs`, the event loop served between them: what the feeder
 * reads while the node takes requests (a 100 k-row range is 2,000 frames and 3-10 ms of checks).
 */
export function readFramesSliced(buf: Buffer, sliceMs = SLICE_MS): Promise<Scan> {
  return runSliced(scanFrames(buf), sliceMs)
}

/** How long a slice of the feeder's byte work runs before the event loop is served again. */
export const SLICE_MS = 2

/** A step list that yields between its steps, run through at once. */
function runAtOnce<T>(steps: Generator<void, T, void>): T {
  let r = steps.next()
  while (!r.done) r = steps.next()
  return r.value
}

/** The same, handing the event loop its turn whenever a slice has run `sliceMs`. */
async function runSliced<T>(steps: Generator<void, T, void>, sliceMs: number): Promise<T> {
  let from = performance.now()
  for (let r = steps.next(); ; r = steps.next()) {
    if (r.done) return r.value
    if (performance.now() - from >= sliceMs) {
      await nextTurn()
      from = performance.now()
    }
  }
}

/** readFrames' work, yielding after each frame. */
function* scanFrames(buf: Buffer): Generator<void, Scan, void> {
  const frames: Frame[] = []
  let corruptBytes = 0
  let corruptRows = 0
  let damaged = false
  // A segment's head (segment-head.ts) is not a frame; a damaged one is skipped as bad bytes.
  let at = readHead(buf) ? HEAD_BYTES : 0
  while (at + 16 <= buf.length) {
    const f = frameAt(buf, at)
    if (f === 'torn') break
    if (f === 'bad') {
      const next = nextMagic(buf, at)
      const to = next < 0 ? buf.length : next
      corruptBytes += to - at
      damaged = true
      at = to
    } else if ('badRows' in f) {
      corruptBytes += f.end - at
      corruptRows += f.badRows
      damaged = true
      at = f.end
    } else {
      frames.push(f)
      at = f.end
    }
    yield
  }
  // A tail shorter than a header, or a frame the file ends inside: the write a crash cut short.
  corruptBytes += buf.length - at
  return { frames, source: buf, corruptBytes, corruptRows, damaged }
}

/**
 * A scan's payloads as one body, moved together in place in the buffer it was read from (its
 * frames are views of that buffer, in order), so a feed needs no second buffer of its size and
 * no second copy. The scan's frames no longer hold their payloads afterwards: use only the
 * result. Only bytes of the scan's own buffer are written (a small buffer may share its memory
 * with others: Buffer's pool); frames from anywhere else are joined into a new buffer.
 */
export function joinPayloads(scan: Pick<Scan, 'frames' | 'source'>): Buffer {
  return runAtOnce(joinSteps(scan))
}

/** joinPayloads in slices of about `sliceMs` (readFramesSliced). */
export function joinPayloadsSliced(scan: Pick<Scan, 'frames' | 'source'>, sliceMs = SLICE_MS): Promise<Buffer> {
  return runSliced(joinSteps(scan), sliceMs)
}

/** joinPayloads' work, yielding after each frame moved. */
function* joinSteps(scan: Pick<Scan, 'frames' | 'source'>): Generator<void, Buffer, void> {
  const { frames, source } = scan
  if (frames.length === 0) return Buffer.alloc(0)
  if (frames.length === 1) return frames[0]!.payload
  const start = source.byteOffset
  const end = start + source.length
  let at = start
  for (const f of frames) {
    const p = f.payload
    if (p.buffer !== source.buffer || p.byteOffset < at || p.byteOffset + p.length > end) return Buffer.concat(frames.map((x) => x.payload))
    at = p.byteOffset + p.length
  }
  const first = frames[0]!.payload
  const region = new Uint8Array(source.buffer, first.byteOffset, at - first.byteOffset)
  let to = first.length
  for (let i = 1; i < frames.length; i++) {
    const p = frames[i]!.payload
    const from = p.byteOffset - first.byteOffset
    // copyWithin is a memmove, and the target never runs ahead of the bytes still to be moved.
    region.copyWithin(to, from, from + p.length)
    to += p.length
    yield
  }
  return Buffer.from(source.buffer, first.byteOffset, to)
}

/** Segment files are numbered; the number never repeats within one spool. */
export const segmentName = (seq: number) => `${String(seq).padStart(10, '0')}.seg`
/** Where a segment with damage is moved once its valid frames are inserted: kept for inspection. */
export const damagedName = (seq: number) => `${segmentName(seq)}.damaged`

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
/**
 * The intent log is a ring of this many records, written in full when the spool is created:
 * later writes overwrite blocks the file already has, so a full disk cannot stop the feeder
 * from recording an intent, inserting, and so freeing space.
 */
export const INTENT_SLOTS = 4096

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
 * The newest whole intent of the log and the slot it is in. Inserts go in order, so the newest
 * is the greatest (segment, end); a torn record is skipped: its insert never started, it
 * waited for the sync.
 */
export function lastIntent(path: string): { intent?: Intent; slot: number } {
  if (!existsSync(path)) return { slot: -1 }
  const buf = readFileSync(path)
  let last: Intent | undefined
  let slot = -1
  for (let at = 0; at + INTENT_BYTES <= buf.length; at += INTENT_BYTES) {
    if (buf.readUInt32LE(at) !== INTENT_MAGIC || crc32(buf.subarray(at, at + 16)) !== buf.readUInt32LE(at + 16)) continue
    const i = { seq: buf.readUInt32LE(at + 4), start: buf.readUInt32LE(at + 8), end: buf.readUInt32LE(at + 12) }
    // Equal ends: the record with the later start is the mark of a clean stop (nothing in flight).
    if (!last || i.seq > last.seq || (i.seq === last.seq && (i.end > last.end || (i.end === last.end && i.start > last.start)))) {
      last = i
      slot = at / INTENT_BYTES
    }
  }
  return { intent: last, slot }
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
