// The Node SDK's disk-backed queue: append-only segment files under `<queueDir>/queue` plus a
// cursor file naming the first event not yet acknowledged. Appends are synchronous, so an event
// is on disk when `append` returns (a crash handler can use it while the process dies); the
// cursor is replaced atomically (write + rename) after each acknowledgement, so kill -9 at any
// moment loses nothing and resends at most the one batch in flight, which the server dedups by id.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { WireEvent } from '../core/catalog.ts'
import { decodeRecord, encodeRecord } from './record-codec.ts'

export interface DiskQueueOptions {
  dir: string
  /** Bytes the queue may hold on disk; beyond it the oldest segment is dropped and counted. */
  maxBytes: number
  /** Size at which a segment is closed and a new one begun. */
  segmentBytes: number
}

/** A position in the log: byte offset in a segment. */
export interface Cursor {
  segment: number
  offset: number
}

export interface QueueDrops {
  /** Events lost because the queue was over `maxBytes`. */
  queue_overflow: number
  /** Lines that were torn or damaged and skipped. */
  corrupt: number
}

export interface Peeked {
  events: WireEvent[]
  /** Where reading stopped. */
  next: Cursor
  /** Damaged lines passed over on the way; counted when acknowledged, so a re-read counts them once. */
  corrupt: number
}

export interface DiskQueue {
  append(event: WireEvent): void
  /** Unacknowledged events from the head, as many as `fits` accepts (it sees each candidate). */
  peek(fits: (events: WireEvent[], candidate: WireEvent) => boolean): Peeked
  /** The peeked events are delivered (or finally given up): never read again. */
  ack(peeked: Peeked): void
  /** Bytes on disk not yet acknowledged. */
  readonly bytes: number
  /** Events on disk not yet acknowledged (damaged lines included until they are passed over). */
  readonly count: number
  readonly drops: QueueDrops
  /** Removes every queued event (consent denied). */
  clear(): void
  close(): void
}

const SEGMENT = /^(\d{12})\.log$/
const name = (n: number) => `${String(n).padStart(12, '0')}.log`

export function createDiskQueue(o: DiskQueueOptions): DiskQueue {
  if (o.segmentBytes * 2 > o.maxBytes) throw new RangeError('maxBytes must hold at least two segments')
  const dir = join(o.dir, 'queue')
  mkdirSync(dir, { recursive: true })
  const cursorFile = join(dir, 'cursor')
  const drops: QueueDrops = { queue_overflow: 0, corrupt: 0 }
  const sizes = new Map<number, number>()
  for (const f of readdirSync(dir)) {
    const m = SEGMENT.exec(f)
    if (m) sizes.set(Number(m[1]), statSync(join(dir, f)).size)
  }
  let cursor = readCursor()
  // Counted once at open (the queue is bounded by maxBytes), then kept up to date.
  let count = 0
  for (const n of segments()) if (n >= cursor.segment) count += lines(n, n === cursor.segment ? cursor.offset : 0).filter((l) => l !== '').length
  // Never append to a segment of an earlier run: its last line may be torn, and a new line after
  // it would be damaged with it.
  let current = Math.max(cursor.segment, ...sizes.keys(), 0) + 1
  let fd = openSegment(current)

  function readCursor(): Cursor {
    try {
      const c = JSON.parse(readFileSync(cursorFile, 'utf8')) as Cursor
      if (Number.isInteger(c.segment) && Number.isInteger(c.offset)) return c
    } catch {}
    return { segment: sizes.size ? Math.min(...sizes.keys()) : 0, offset: 0 }
  }

  function openSegment(n: number): number {
    sizes.set(n, 0)
    return openSync(join(dir, name(n)), 'a')
  }

  function segments(): number[] {
    return [...sizes.keys()].sort((a, b) => a - b)
  }

  function bytes(): number {
    let total = 0
    for (const [n, size] of sizes) if (n >= cursor.segment) total += n === cursor.segment ? size - cursor.offset : size
    return total
  }

  function remove(n: number): void {
    sizes.delete(n)
    try {
      unlinkSync(join(dir, name(n)))
    } catch {}
  }

  function lines(n: number, from: number): string[] {
    try {
      return readFileSync(join(dir, name(n))).subarray(from).toString('utf8').split('\n')
    } catch {
      return []
    }
  }

  /** Drops the oldest segment that is not being written, counting its events. */
  function dropOldest(): boolean {
    const oldest = segments().find((n) => n !== current)
    if (oldest === undefined) return false
    const from = oldest === cursor.segment ? cursor.offset : 0
    const lost = lines(oldest, from).filter((l) => l !== '').length
    drops.queue_overflow += lost
    count = Math.max(0, count - lost)
    remove(oldest)
    if (cursor.segment <= oldest) saveCursor({ segment: oldest + 1, offset: 0 })
    return true
  }

  function saveCursor(next: Cursor): void {
    cursor = next
    const tmp = `${cursorFile}.tmp`
    writeFileSync(tmp, JSON.stringify(next))
    renameSync(tmp, cursorFile)
    for (const n of segments()) if (n < cursor.segment && n !== current) remove(n)
  }

  return {
    append(event) {
      const line = Buffer.from(encodeRecord(event))
      while (bytes() + line.length > o.maxBytes && dropOldest());
      if (bytes() + line.length > o.maxBytes) {
        drops.queue_overflow++
        return
      }
      if (sizes.get(current)! >= o.segmentBytes) {
        closeSync(fd)
        fd = openSegment(++current)
      }
      writeSync(fd, line)
      sizes.set(current, sizes.get(current)! + line.length)
      count++
    },

    peek(fits) {
      const events: WireEvent[] = []
      let corrupt = 0
      let at: Cursor = { ...cursor }
      for (const n of segments()) {
        if (n < at.segment) continue
        if (n > at.segment) at = { segment: n, offset: 0 }
        for (const line of lines(n, at.offset)) {
          // Without a newline after it, a line is the end of the file ('') or a write torn by a
          // crash in an earlier run (this run never appends to those segments).
          const complete = at.offset + Buffer.byteLength(line) < sizes.get(n)!
          if (!complete && line === '') break
          const event = decodeRecord(line)
          if (event && !fits(events, event)) return { events, next: at, corrupt }
          if (event) events.push(event)
          else corrupt++
          at = { segment: n, offset: at.offset + Buffer.byteLength(line) + (complete ? 1 : 0) }
        }
      }
      return { events, next: at, corrupt }
    },

    ack(peeked) {
      drops.corrupt += peeked.corrupt
      count = Math.max(0, count - peeked.events.length - peeked.corrupt)
      saveCursor(peeked.next)
    },

    get bytes() {
      return bytes()
    },

    get count() {
      return count
    },

    drops,

    clear() {
      for (const n of segments()) if (n !== current) remove(n)
      saveCursor({ segment: current, offset: sizes.get(current)! })
      count = 0
    },

    close() {
      closeSync(fd)
    },
  }
}
