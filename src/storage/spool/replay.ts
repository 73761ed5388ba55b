// What a spool finds on disk when it opens (after a clean stop or a crash): which frames still
// have to reach ClickHouse, which range was being inserted (re-sent with the same token), and
// which segments are damaged. Segments already inserted are deleted; damaged ones are kept.
import { readFileSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { RowsFormat } from '../rows/rows-format.ts'
import { damagedName, lastIntent, listSegments, readFrames, segmentName, type Intent } from './layout.ts'
import { lossOf, missing, sealsOf, type SpoolDamage } from './replay-check.ts'
import { HEAD_BYTES, readHead, type Seal } from './segment-head.ts'
import { isDropped, lastDrop, lastMark, readSeals, type SealedSize } from './ledger.ts'

/** Frames of one segment waiting for ClickHouse, by byte range; the bytes stay on disk. */
export interface Chunk {
  seq: number
  offset: number
  end: number
  rows: number
  /** When it was synced or replayed (ms on the monotonic clock, performance.now()), for the feed delay and the oldest-unfed-frame age. */
  since: number
  /** The range of an insert whose outcome is unknown: inserted alone, so its token is the same. */
  fixed?: boolean
  /** Its frames' payload format: an insert holds frames of one format. */
  format: RowsFormat
}

export interface Replay {
  queue: Chunk[]
  lastSeq: number
  /** The highest segment as found and the seals its head held: the next segment's head. */
  lastSeals: Seal[]
  intentSlot: number
  rows: number
  bytes: number
  /** Segments with bytes that are not valid frames, those bytes, and rows of frames lost to them. */
  corruptSegments: number
  corruptBytes: number
  corruptRows: number
  /** Each damaged or missing segment, for an error line with its counts. */
  damage: SpoolDamage[]
  /** Segments with damage before valid frames: moved aside once their valid frames are inserted. */
  damaged: Set<number>
  /** Damaged segments with nothing left to insert, moved aside at once. */
  movedAside: number
  /** The `seals` ring as found (ledger.ts): where the next seal goes. */
  ring: { seals: Map<number, SealedSize>; slot: number }
  /** The newest slot of the `drops` ring (drop-oldest.ts), -1 if none: where the next mark goes. */
  dropSlot: number
}

/** The spool's record files (spool.ts): the intent log, the `seals` ring, the `drops` ring. */
export interface LedgerPaths {
  intentPath: string
  sealsPath: string
  dropsPath: string
}

/** Scans the spool directory; `onFrame` sees each payload to be replayed (e.g. to remember its ids). */
export function replaySpool(dir: string, paths: LedgerPaths, now: number, onFrame?: (payload: Buffer, format: RowsFormat) => void): Replay {
  const { intentPath } = paths
  const { intent, slot } = lastIntent(intentPath)
  const ring = readSeals(paths.sealsPath)
  // Frames a full relay gave up (drop-oldest.ts): neither fed again nor counted as lost.
  const { drop, slot: dropSlot } = lastDrop(paths.dropsPath)
  const r: Replay = {
    queue: [], lastSeq: Math.max(intent?.seq ?? 0, drop?.seq ?? 0), intentSlot: slot, rows: 0, bytes: 0, corruptSegments: 0, corruptBytes: 0, corruptRows: 0, damage: [], damaged: new Set(), movedAside: 0, lastSeals: [], ring, dropSlot,
  }
  // Numbers of segments moved aside count too: a new segment never takes the name of a kept one.
  for (const f of readdirSync(dir)) if (/^\d{10}\.seg\.damaged$/.test(f)) r.lastSeq = Math.max(r.lastSeq, Number(f.slice(0, 10)))
  const segments = listSegments(dir)
  const seals = sealsOf(dir, segments, ring.seals, lastMark(intentPath))
  // Nor that of a segment deleted while stopped: its token (spool id, number, range) was used.
  for (const seq of seals.keys()) r.lastSeq = Math.max(r.lastSeq, seq)
  for (const seq of segments) {
    r.lastSeq = Math.max(r.lastSeq, seq)
    const path = join(dir, segmentName(seq))
    if (intent && seq < intent.seq) {
      rmSync(path, { force: true })
      continue
    }
    const buf = readFileSync(path)
    const scan = readFrames(buf)
    const found = { seq, bytes: buf.length, frames: scan.frames.length, rows: scan.frames.reduce((n, f) => n + f.rows, 0) + scan.corruptRows }
    // Sealed in the next segment's head as far as its last whole frame: a crash's torn tail is
    // not what it held, and sealed, it made the segment's deletion once inserted look like a loss.
    if (seq === segments.at(-1)) r.lastSeals = [{ ...found, bytes: scan.frames.at(-1)?.end ?? Math.min(buf.length, HEAD_BYTES) }, ...(readHead(buf)?.prev ?? [])]
    const loss = lossOf(scan, found, seals.get(seq))
    if (loss) {
      lose(r, loss)
      if (loss.keep) r.damaged.add(seq)
    }
    let fixed: Chunk | undefined
    let queued = 0
    for (const f of scan.frames) {
      if (intent && seq === intent.seq && f.end <= intent.start) continue
      if (isDropped(drop, intent, seq, f.end)) continue
      onFrame?.(f.payload, f.format)
      queued++
      r.rows += f.rows
      r.bytes += f.end - f.offset
      if (isIn(intent, seq, f.end)) {
        // The range as it was recorded, damaged bytes included, so the token is the same.
        if (!fixed) r.queue.push((fixed = { seq, offset: intent!.start, end: intent!.end, rows: 0, since: now, fixed: true, format: f.format }))
        fixed.rows += f.rows
      } else {
        r.queue.push({ seq, offset: f.offset, end: f.end, rows: f.rows, since: now, format: f.format })
      }
    }
    // Nothing left to insert (in ClickHouse already, or no whole frame): deleted, or kept aside.
    if (queued === 0) {
      if (r.damaged.delete(seq)) {
        renameSync(path, join(dir, damagedName(seq)))
        r.movedAside++
      } else rmSync(path, { force: true })
    }
  }
  for (const loss of missing(dir, segments, seals, intent, drop)) lose(r, loss)
  return r
}

const isIn = (intent: Intent | undefined, seq: number, end: number) => intent !== undefined && seq === intent.seq && end <= intent.end

function lose(r: Replay, loss: SpoolDamage): void {
  r.corruptSegments++
  r.corruptBytes += loss.corruptBytes
  r.corruptRows += loss.corruptRows
  r.damage.push(loss)
}
