// What a spool finds on disk when it opens (after a clean stop or a crash): which frames still
// have to reach ClickHouse, which range was being inserted (re-sent with the same token), and
// which segments are damaged. Segments already inserted are deleted; damaged ones are kept.
import { readFileSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { RowsFormat } from '../rows/rows-format.ts'
import { damagedName, lastIntent, listSegments, readFrames, segmentName, type Intent } from './layout.ts'

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
  intentSlot: number
  rows: number
  bytes: number
  /** Segments with bytes that are not valid frames, those bytes, and rows of frames lost to them. */
  corruptSegments: number
  corruptBytes: number
  corruptRows: number
  /** Segments with damage before valid frames: moved aside once their valid frames are inserted. */
  damaged: Set<number>
}

/** Scans the spool directory; `onFrame` sees each payload to be replayed (e.g. to remember its ids). */
export function replaySpool(dir: string, intentPath: string, now: number, onFrame?: (payload: Buffer, format: RowsFormat) => void): Replay {
  const { intent, slot } = lastIntent(intentPath)
  const r: Replay = { queue: [], lastSeq: intent?.seq ?? 0, intentSlot: slot, rows: 0, bytes: 0, corruptSegments: 0, corruptBytes: 0, corruptRows: 0, damaged: new Set() }
  // Numbers of segments moved aside count too: a new segment never takes the name of a kept one.
  for (const f of readdirSync(dir)) if (/^\d{10}\.seg\.damaged$/.test(f)) r.lastSeq = Math.max(r.lastSeq, Number(f.slice(0, 10)))
  for (const seq of listSegments(dir)) {
    r.lastSeq = Math.max(r.lastSeq, seq)
    const path = join(dir, segmentName(seq))
    if (intent && seq < intent.seq) {
      rmSync(path, { force: true })
      continue
    }
    const scan = readFrames(readFileSync(path))
    if (scan.corruptBytes > 0) {
      r.corruptSegments++
      r.corruptBytes += scan.corruptBytes
      r.corruptRows += scan.corruptRows
      if (scan.damaged) r.damaged.add(seq)
    }
    let fixed: Chunk | undefined
    for (const f of scan.frames) {
      if (intent && seq === intent.seq && f.end <= intent.start) continue
      onFrame?.(f.payload, f.format)
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
    if (scan.frames.length === 0) {
      if (r.damaged.has(seq)) renameSync(path, join(dir, damagedName(seq)))
      else rmSync(path, { force: true })
      r.damaged.delete(seq)
    }
  }
  return r
}

const isIn = (intent: Intent | undefined, seq: number, end: number) => intent !== undefined && seq === intent.seq && end <= intent.end
