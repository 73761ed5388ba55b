// What the spool records beside its segments so that a start can prove rows missing (replay-check.ts):
// a seal per segment when it is closed (bytes and rows, in the ring file `seals`), and with every
// intent the acknowledged high-water mark (segment, bytes, rows synced so far), in the same write
// and fdatasync as the intent. Segment heads (segment-head.ts) seal only the two segments before
// them: three deleted in a row, or the last one after a crash, were beyond any record. A relay
// that drops its oldest rows when full records how far it dropped in the ring file `drops`.
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { crc32 } from 'node:zlib'
import type { Intent } from './layout.ts'
import type { Seal } from './segment-head.ts'
import { writeAll, type SpoolFile, type SpoolFs } from './spool-fs.ts'

/** A record is 20 bytes, as an intent (layout.ts): a magic, three numbers and a checksum. */
export const RECORD_BYTES = 20
/** "VSH1": the acknowledged high-water mark, written in the slot after its intent. */
const MARK_MAGIC = 0x56534831
/** "VSS1": a closed segment's bytes and rows, in the `seals` ring. */
const SEAL_MAGIC = 0x56535331
/** "VSD1": rows given up to make room (drop-oldest.ts): every frame before (seq, end) not inserted. */
const DROP_MAGIC = 0x56534431
/**
 * Seals kept: as many segments as the smallest segment size allows within the largest spool
 * (SPOOL_MAX_BYTES 256 MiB / 64 KiB), so a seal is never overwritten while its segment waits.
 */
export const SEAL_SLOTS = 4096

/** A segment's size as a record proves it: the whole of a sealed one, or a prefix (a mark). */
export type SealedSize = Pick<Seal, 'seq' | 'bytes' | 'rows'>

/** How far appends had been synced (acknowledged) when an intent was recorded. */
export interface AckMark {
  seq: number
  /** Bytes of segment `seq` synced, its head included. */
  end: number
  /** Rows of segment `seq` in those bytes. */
  rows: number
}

function encode(magic: number, a: number, b: number, c: number): Buffer {
  const r = Buffer.allocUnsafe(RECORD_BYTES)
  r.writeUInt32LE(magic, 0)
  r.writeUInt32LE(a, 4)
  r.writeUInt32LE(b, 8)
  r.writeUInt32LE(c, 12)
  r.writeUInt32LE(crc32(r.subarray(0, 16)), 16)
  return r
}

export const encodeMark = (m: AckMark) => encode(MARK_MAGIC, m.seq, m.end, m.rows)
const encodeSeal = (s: SealedSize) => encode(SEAL_MAGIC, s.seq, s.bytes, s.rows)
const encodeDrop = (d: DropMark) => encode(DROP_MAGIC, d.seq, d.end, d.rows)

/**
 * How far the oldest rows were given up (drop-oldest.ts): every frame that ends at or before
 * byte `end` of segment `seq` and is not in the range the intent log names was dropped, never to
 * be inserted. `rows`: how many that drop gave up (for an operator reading the file).
 */
export interface DropMark {
  seq: number
  end: number
  rows: number
}

/** Every whole record of `magic` in a file of 20-byte slots, with its slot. */
function records(path: string, magic: number): { a: number; b: number; c: number; slot: number }[] {
  if (!existsSync(path)) return []
  const buf = readFileSync(path)
  const out: { a: number; b: number; c: number; slot: number }[] = []
  for (let at = 0; at + RECORD_BYTES <= buf.length; at += RECORD_BYTES) {
    if (buf.readUInt32LE(at) !== magic || crc32(buf.subarray(at, at + 16)) !== buf.readUInt32LE(at + 16)) continue
    out.push({ a: buf.readUInt32LE(at + 4), b: buf.readUInt32LE(at + 8), c: buf.readUInt32LE(at + 12), slot: at / RECORD_BYTES })
  }
  return out
}

/** The highest acknowledged mark in the intent log: marks only grow, so the greatest is the newest. */
export function lastMark(intentPath: string): AckMark | undefined {
  let last: AckMark | undefined
  for (const { a: seq, b: end, c: rows } of records(intentPath, MARK_MAGIC)) {
    if (!last || seq > last.seq || (seq === last.seq && end > last.end)) last = { seq, end, rows }
  }
  return last
}

/** The newest drop mark of the `drops` ring, and its slot: marks only grow, so the greatest. */
export function lastDrop(path: string): { drop?: DropMark; slot: number } {
  let drop: DropMark | undefined
  let slot = -1
  for (const { a: seq, b: end, c: rows, slot: at } of records(path, DROP_MAGIC)) {
    if (!drop || seq > drop.seq || (seq === drop.seq && end > drop.end)) [drop, slot] = [{ seq, end, rows }, at]
  }
  return { drop, slot }
}

/**
 * Whether the frame ending at byte `end` of segment `seq` was dropped: before the drop mark and
 * not in the range the intent log names (in flight when the drop was made, so never dropped).
 */
export function isDropped(drop: DropMark | undefined, intent: Intent | undefined, seq: number, end: number): boolean {
  if (!drop || seq > drop.seq || (seq === drop.seq && end > drop.end)) return false
  return !(intent && seq === intent.seq && end > intent.start && end <= intent.end)
}

/** The seals of the `seals` ring by segment, and the slot of the newest (the highest segment). */
export function readSeals(path: string): { seals: Map<number, SealedSize>; slot: number } {
  const seals = new Map<number, SealedSize>()
  let slot = -1
  let top = -1
  for (const { a: seq, b: bytes, c: rows, slot: at } of records(path, SEAL_MAGIC)) {
    seals.set(seq, { seq, bytes, rows })
    if (seq > top) [top, slot] = [seq, at]
  }
  return { seals, slot }
}

export interface RecordRing<T> {
  /** Syncs one record; a failure is the caller's to handle. */
  record(value: T): Promise<void>
  close(): Promise<void>
}

export type SealRing = RecordRing<SealedSize>

/**
 * The `seals` ring, written in full when first made (as the intent ring: a full disk then cannot
 * stop a seal from being recorded); undefined if even that cannot be done, and the spool goes on
 * with its segment heads alone.
 */
export const openSealRing = (fs: SpoolFs, path: string, lastSlot: number): Promise<SealRing | undefined> => openRing(fs, path, lastSlot, encodeSeal)

/** The `drops` ring, made the same way; undefined if it cannot be (the spool then refuses when full). */
export const openDropRing = (fs: SpoolFs, path: string, lastSlot: number): Promise<RecordRing<DropMark> | undefined> => openRing(fs, path, lastSlot, encodeDrop)

async function openRing<T>(fs: SpoolFs, path: string, lastSlot: number, encodeOne: (value: T) => Buffer): Promise<RecordRing<T> | undefined> {
  const made = !existsSync(path)
  let file: SpoolFile | undefined
  try {
    file = await fs.open(path, made ? 'w' : 'r+')
    if (made) {
      await writeAll(file, Buffer.alloc(SEAL_SLOTS * RECORD_BYTES), 0)
      await file.datasync()
      await fs.syncDir(dirname(path))
    }
  } catch {
    await file?.close().catch(() => undefined)
    // A ring cut short would be taken for a whole one by the next open.
    if (made) rmSync(path, { force: true })
    return undefined
  }
  const f = file
  let slot = lastSlot
  return {
    async record(value) {
      slot = (slot + 1) % SEAL_SLOTS
      await writeAll(f, encodeOne(value), slot * RECORD_BYTES)
      await f.datasync()
    },
    close: () => f.close().catch(() => undefined),
  }
}
