// Local write-ahead spool (DESIGN.md durability rule; docs/durability.md): anonymised rows are
// appended to a segment file as checksummed frames and fdatasync'd, which is what a 202 waits
// for (append.ts); a feeder reads them back from disk and inserts them into ClickHouse in large
// batches (feeder.ts). Every insert carries a token from the spool id, segment and byte range,
// written to an intent log before the insert starts; a replay re-inserts that range with the
// same token, which ClickHouse and its materialized views deduplicate. This file composes the
// two halves over the directory's lock, replay and intent log, and reports stats and health.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { JSON_ROWS_FORMAT } from '../rows/rows-format.ts'
import { spoolId } from './layout.ts'
import { createSegmentReader, openIntentRing } from './ranges-io.ts'
import { nodeSpoolFs } from './spool-fs.ts'
import { replaySpool } from './replay.ts'
import { lockSpoolDir, type SpoolLock } from './lock.ts'
import { openAppender, type Appender } from './append.ts'
import { createFeeder } from './feeder.ts'
import { monotonicMs } from './monotonic.ts'
import { openFeederRoom } from './feeder-room.ts'
import { openDropRing, openSealRing } from './ledger.ts'
import { createDropper } from './drop-oldest.ts'
import type { Spool, SpoolBacklog, SpoolCounters, SpoolOptions } from './types.ts'

export type { Spool, SpoolHealth, SpoolOptions, SpoolStats } from './types.ts'

export async function openSpool(opts: SpoolOptions): Promise<Spool> {
  if (opts.maxBytes < opts.segmentBytes) throw new RangeError('maxBytes must be at least segmentBytes')
  if (opts.insertRows < 1) throw new RangeError('insertRows must be at least 1')
  mkdirSync(opts.dir, { recursive: true })
  // Before anything reads the directory: another live process's segments are not ours to replay.
  const lock = await lockSpoolDir(opts.dir, { staleMs: opts.lockStaleMs, onLost: opts.onLockLost })
  try {
    return await openLocked(opts, lock)
  } catch (e) {
    lock.release()
    throw e
  }
}

async function openLocked(opts: SpoolOptions, lock: SpoolLock): Promise<Spool> {
  const fs = opts.fs ?? nodeSpoolFs
  const { dir } = opts
  const intentPath = join(dir, 'intents')
  const sealsPath = join(dir, 'seals')
  const dropsPath = join(dir, 'drops')
  const r = replaySpool(dir, { intentPath, sealsPath, dropsPath }, monotonicMs() - opts.feedDelayMs, opts.onReplayFrame)
  const stats: SpoolCounters = {
    appendedRows: 0, syncs: 0, inserts: 0, insertedRows: 0, failedInserts: 0, retries: 0, refusedRows: 0, diskRefusedRows: 0, writeFailures: 0,
    replayedRows: r.rows, corruptSegments: r.corruptSegments, corruptBytes: r.corruptBytes, corruptRows: r.corruptRows,
    damagedSegments: r.movedAside, deadLetteredRows: 0,
  }
  // One error line per damaged or missing segment, with its counts (replay-check.ts).
  for (const { segment, corruptBytes, corruptRows, rowsUnknown } of r.damage) opts.onDamage?.({ segment, corruptBytes, corruptRows, ...(rowsUnknown ? { rowsUnknown } : {}) })
  const backlog: SpoolBacklog = { queue: r.queue, rows: r.rows, bytes: r.bytes }

  let appender: Appender | undefined
  // Each intent carries how far appends are acknowledged (ledger.ts): none before the appender opens.
  const intents = await openIntentRing(fs, intentPath, r.intentSlot, () => appender?.mark())
  const seals = await openSealRing(fs, sealsPath, r.ring.slot)
  const reader = createSegmentReader(fs, dir)
  const room = await openFeederRoom(dir, opts.feederRoomBytes ?? 0)
  // Only a spool told to drop when full has the `drops` ring (a node's never does); without it, it refuses.
  const drops = opts.full === 'drop-oldest' ? await openDropRing(fs, dropsPath, r.dropSlot) : undefined
  let dropper: ReturnType<typeof createDropper> | undefined
  const feeder = createFeeder({ opts, fs, id: spoolId(dir), backlog, stats, intents, reader, damaged: r.damaged, currentSeq: () => appender!.seq(),
    room,
    ...(drops ? { dropsRecorded: () => dropper!.recorded() } : {}),
    onRetired: () => void appender?.recheckDisk().then(() => room.restore(opts.minFreeBytes ?? 0)).catch(() => undefined),
    // On a disk at its reserve no append rotates: a fresh segment lets the inserted one go.
    onCaughtUp: () => {
      if (appender?.lowOnDisk()) void appender.rotateIdle().then((rotated) => (rotated ? feeder.retireIdle() : undefined)).catch(() => undefined)
    },
  })
  if (drops) dropper = createDropper({ opts, backlog, feeder, ring: drops, currentSeq: () => appender!.seq() })
  try {
    appender = await openAppender({ opts, fs, backlog, stats, lastSeq: r.lastSeq, lastSeals: r.lastSeals, seals, onFramed: () => feeder.feed(), makeRoom: dropper?.makeRoom })
  } catch (e) {
    await intents.close()
    await seals?.close()
    await drops?.close()
    throw e
  }
  const append = appender
  feeder.feed()

  let closed: Promise<void> | undefined
  return {
    // A body without a format is JSON, as callers that encode with encodeRows() send it.
    append: (payload, rows, format = JSON_ROWS_FORMAT) => append.append(payload, rows, format),
    drain: () => feeder.drain(),
    fedUpTo(ms) {
      const { seq, end } = append.mark()
      return feeder.fedTo(seq, end, ms)
    },
    close(ms) {
      closed ??= (async () => {
        const end = monotonicMs() + ms
        const left = () => Math.max(0, end - monotonicMs())
        // Everything here is bounded by `ms`: a write or insert that hangs is left behind, and
        // what it held is replayed on the next open. Once this resolves, no insert starts.
        await append.refuse(left())
        feeder.hurry()
        let t: NodeJS.Timeout | undefined
        await Promise.race([feeder.drain(), new Promise((res) => (t = setTimeout(res, left())))])
        clearTimeout(t)
        await feeder.stop(left())
        try {
          // Nothing in flight: the intent log says so, and the next start replays nothing.
          const done = feeder.committed()
          if (done) await intents.record({ seq: done.seq, start: done.end, end: done.end }).catch(() => undefined)
          await reader.close()
          await append.close(true)
          await intents.close()
          await seals?.close()
          await dropper?.recorded().catch(() => undefined)
          await drops?.close()
        } finally {
          lock.release()
        }
      })()
      return closed
    },
    stats: () => {
      const { queue } = backlog
      return {
        ...stats, pendingRows: backlog.rows, pendingBytes: backlog.bytes, oldestUnfedMs: queue.length ? Math.max(0, monotonicMs() - queue[0]!.since) : 0,
        failed: append.failed() !== undefined, insertFailuresInARow: feeder.failuresInARow(),
      }
    },
    health() {
      const failed = append.failed()
      if (failed) return { reason: 'failed', message: failed.message }
      // Which of the two it is: the feeder freeing space as it inserts (its feed needs no disk
      // of its own: client.ts insertFromMemory), or a disk that stays full because it cannot.
      if (append.lowOnDisk()) {
        const given = room.bytes > 0 && !room.held() ? `, its ${room.bytes}-byte room given to the store` : ''
        const feeding = feeder.failuresInARow() > 0
          ? `; the feeder cannot free space${given}: inserts keep failing (${feeder.lastError()})`
          : backlog.bytes > 0 ? `; the feeder is freeing space${given} (${backlog.bytes} bytes of segments to insert and delete)` : '; nothing of the spool is left to free: other files fill the disk'
        return { reason: 'disk_low', message: `the spool disk is nearly full${feeding}` }
      }
      // Nearly full warns of refusals to come; a spool that drops its oldest rows takes new ones.
      if (opts.full !== 'drop-oldest' && backlog.bytes > 0.9 * opts.maxBytes) return { reason: 'nearly_full', message: `the spool holds ${backlog.bytes} of ${opts.maxBytes} bytes` }
      if (feeder.failuresInARow() >= 3) return { reason: 'feeder_failing', message: `inserts into ClickHouse keep failing: ${feeder.lastError()}` }
      return undefined
    },
  }
}
