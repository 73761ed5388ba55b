// The spool's two pieces of file handling that are not appends: the intent ring (written in
// full once, then overwritten slot by slot, so a full disk cannot stop the feeder) and reading
// a frame range back from its segment when it is fed (frames are not kept in memory).
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { INTENT_BYTES, INTENT_SLOTS, encodeIntent, readFramesSliced, segmentName, type Intent, type Scan } from './layout.ts'
import { writeAll, type SpoolFile, type SpoolFs } from './spool-fs.ts'
import { encodeMark, type AckMark } from './ledger.ts'

export interface IntentRing {
  /** Syncs the record of an insert about to start; the newest whole record wins on replay. */
  record(range: Intent): Promise<void>
  close(): Promise<void>
}

/**
 * `mark`: how far appends are synced now, written with each intent in the slot after it (one
 * write, one fdatasync: ledger.ts), so intents take slots in pairs, the intent in the even one.
 */
export async function openIntentRing(fs: SpoolFs, path: string, lastSlot: number, mark?: () => AckMark | undefined): Promise<IntentRing> {
  const file = await fs.open(path, 'r+').catch(() => fs.open(path, 'w'))
  const ring = INTENT_SLOTS * INTENT_BYTES
  try {
    const size = statSync(path).size
    if (size < ring) {
      await writeAll(file, Buffer.alloc(ring - size), size)
      await file.datasync()
    }
  } catch (e) {
    await file.close().catch(() => undefined) // a full disk at open must not leak the handle
    throw e
  }
  // The pair after the newest intent's (an earlier version's intent may be in an odd slot).
  let pair = lastSlot < 0 ? -1 : Math.floor(lastSlot / 2)
  return {
    async record(range) {
      pair = (pair + 1) % (INTENT_SLOTS / 2)
      const m = mark?.()
      await writeAll(file, m ? Buffer.concat([encodeIntent(range), encodeMark(m)]) : encodeIntent(range), pair * 2 * INTENT_BYTES)
      await file.datasync()
    },
    close: () => file.close().catch(() => undefined),
  }
}

export interface SegmentReader {
  /** The valid frames of a range of a segment, read from disk; undefined if the segment is gone. */
  read(range: Intent): Promise<Scan | undefined>
  /** Closes the segment's file (it is about to be deleted or moved aside). */
  done(seq: number): Promise<void>
  close(): Promise<void>
}

export function createSegmentReader(fs: SpoolFs, dir: string): SegmentReader {
  const files = new Map<number, SpoolFile>()
  let closed = false
  return {
    async read(range) {
      let file = files.get(range.seq)
      if (!file) {
        const opened = await fs.open(join(dir, segmentName(range.seq)), 'r').catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return undefined
          throw e
        })
        if (!opened) return undefined
        file = opened
        // An insert that close() left behind may still read: its file is not kept, since
        // nothing would close it after close().
        if (!closed) files.set(range.seq, file)
      }
      try {
        const buf = Buffer.allocUnsafe(range.end - range.start)
        let got = 0
        while (got < buf.length) {
          const n = await file.read(buf.subarray(got), range.start + got)
          if (n <= 0) break
          got += n
        }
        // In slices: the node serves requests while a range's checksums are checked.
        return await readFramesSliced(buf.subarray(0, got))
      } finally {
        if (closed || files.get(range.seq) !== file) await file.close().catch(() => undefined)
      }
    },
    async done(seq) {
      await files.get(seq)?.close().catch(() => undefined)
      files.delete(seq)
    },
    async close() {
      closed = true
      for (const f of files.values()) await f.close().catch(() => undefined)
      files.clear()
    },
  }
}
