// What a start finds missing from the spool (docs/durability.md, "damage while stopped"): each
// segment's head seals the two before it (segment-head.ts), the `seals` ring every closed one and
// the intent log how far appends were acknowledged (ledger.ts), so a segment deleted, or cut at a
// frame boundary, while the spool was stopped is counted, logged and kept, never silent.
import { closeSync, existsSync, openSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { damagedName, segmentName, type Intent, type Scan } from './layout.ts'
import { HEAD_BYTES, readHead, type Seal } from './segment-head.ts'
import type { AckMark, DropMark, SealedSize } from './ledger.ts'

/** A damaged or missing segment: the bytes and rows it lost (rows unknown where no record says). */
export interface SpoolDamage {
  segment: string
  corruptBytes: number
  corruptRows: number
  /** Rows were lost but no record says how many (a missing segment the last insert was in). */
  rowsUnknown?: boolean
}

/**
 * What the records say each segment held, by its number: the seals in the heads of the segments on
 * disk, those of the `seals` ring (which wins: it is written when the segment is closed), and the
 * acknowledged mark for the segment it names if nothing sealed that one (a prefix of it).
 */
export function sealsOf(dir: string, segments: readonly number[], ring: Map<number, SealedSize>, mark: AckMark | undefined): Map<number, SealedSize> {
  const seals = new Map<number, SealedSize>()
  const buf = Buffer.alloc(HEAD_BYTES)
  for (const seq of segments) {
    const fd = openSync(join(dir, segmentName(seq)), 'r')
    try {
      const head = readSync(fd, buf, 0, HEAD_BYTES, 0) === HEAD_BYTES ? readHead(buf) : undefined
      for (const p of head?.prev ?? []) seals.set(p.seq, p)
    } finally {
      closeSync(fd)
    }
  }
  for (const [seq, seal] of ring) seals.set(seq, seal)
  if (mark && !seals.has(mark.seq)) seals.set(mark.seq, { seq: mark.seq, bytes: mark.end, rows: mark.rows })
  return seals
}

/**
 * The damage of one segment: bytes that are not frames (a flip, a torn tail) and, where a later
 * segment sealed it, the bytes and rows it had then and has no more (a cut at a frame boundary,
 * a frame whose header was damaged: its rows are only known from the seal). `keep`: damage
 * beyond a torn tail, so the segment is moved aside once fed, not deleted.
 */
export function lossOf(scan: Scan, found: Seal, seal: SealedSize | undefined): (SpoolDamage & { keep: boolean }) | undefined {
  const cutBytes = seal ? Math.max(0, seal.bytes - found.bytes) : 0
  const cutRows = seal ? Math.max(0, seal.rows - found.rows) : 0
  const bytes = scan.corruptBytes + cutBytes
  const rows = scan.corruptRows + cutRows
  if (bytes === 0 && rows === 0) return undefined
  const cut = cutBytes > 0 || cutRows > 0
  const segment = cut ? `${segmentName(found.seq)} (cut: ${found.bytes} of ${seal!.bytes} bytes, ${found.rows} of ${seal!.rows} rows)` : segmentName(found.seq)
  return { segment, corruptBytes: bytes, corruptRows: rows, keep: scan.damaged || cut }
}

/**
 * Segments a later one sealed that are gone (not moved aside as damaged either). A segment before
 * the last insert's is in ClickHouse; the last insert's own is deleted once inserted to its end,
 * so only what lay beyond that insert is lost, and how many rows that was no record says. The
 * same holds for the drop mark (ledger.ts): what lies before it was given up, not lost.
 */
export function missing(dir: string, segments: readonly number[], seals: Map<number, SealedSize>, intent: Intent | undefined, drop?: DropMark): SpoolDamage[] {
  const onDisk = new Set(segments)
  const out: SpoolDamage[] = []
  for (const seal of seals.values()) {
    if (seal.rows === 0 || onDisk.has(seal.seq) || existsSync(join(dir, damagedName(seal.seq)))) continue
    if ((intent && seal.seq < intent.seq) || (drop && seal.seq < drop.seq)) continue
    const segment = `${segmentName(seal.seq)} (missing)`
    // How far the records account for the segment: the last insert's end, or the drop mark's.
    const done = Math.max(intent?.seq === seal.seq ? intent.end : -1, drop?.seq === seal.seq ? drop.end : -1)
    if (done >= 0) {
      if (done < seal.bytes) out.push({ segment, corruptBytes: seal.bytes - done, corruptRows: 0, rowsUnknown: true })
    } else out.push({ segment, corruptBytes: seal.bytes, corruptRows: seal.rows })
  }
  return out
}
