// The relay's outbox (docs/relay.md "The outbox"): what is waiting in the spool and what was
// sent, as the anonymised rows themselves with counts per event, so the site's data-protection
// officer can read every field that leaves it. Sent rows are appended to sent.jsonl (rotated at
// 64 MiB, one older file kept); the approval a first forward may wait for is a file beside it.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { appendFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { EventRow } from '../pipeline/types.ts'
import { lastIntent, listSegments, readFrames, segmentName } from '../storage/spool/layout.ts'
import { isDropped, lastDrop } from '../storage/spool/ledger.ts'
import type { RowsFormat } from '../storage/rows/rows-format.ts'
import { rowsOfRange } from './rows-wire.ts'

const SENT = 'sent.jsonl'
const SENT_MAX_BYTES = 64 * 2 ** 20
const APPROVED = 'approved'

/** A forward as sent.jsonl keeps it: the bytes sent, base64, in the spool's format. */
interface SentLine extends Omit<SentRecord, 'rows'> {
  format: RowsFormat
  body_base64: string
}

export interface SentRecord {
  at: number
  rows: EventRow[]
  accepted: number
  duplicates: number
  /** Rows the central Veil refused, with its reason (never stored there). */
  refused: { index: number; reason: string }[]
  /** Where the range sent ends in the spool: its frames are no longer pending, though still on disk until the segment goes. */
  range?: SpoolPosition
}

/** A place in the spool: a segment's number and a byte offset in it. */
export interface SpoolPosition {
  seq: number
  end: number
}

/** The end of the range an insert token names (`id:segment:start-end`, storage/spool/feeder.ts). */
export function sentRange(token: string): SpoolPosition | undefined {
  const m = /:(\d+):\d+-(\d+)$/.exec(token)
  return m ? { seq: Number(m[1]), end: Number(m[2]) } : undefined
}

const after = (a: SpoolPosition, b: SpoolPosition | undefined) => !b || a.seq > b.seq || (a.seq === b.seq && a.end > b.end)

export interface OutboxView {
  approved: boolean
  pending: { rows: number; perEvent: Record<string, number>; sample: EventRow[] }
  sent: { forwards: number; rows: number; refused: number; perEvent: Record<string, number>; last: SentRecord[] }
}

const countPerEvent = (rows: readonly EventRow[], into: Record<string, number> = {}) => {
  for (const r of rows) into[`${r[0]}/${r[2]}`] = (into[`${r[0]}/${r[2]}`] ?? 0) + 1
  return into
}

/**
 * The rows still in a spool directory: frames not yet acknowledged by the uplink (storage/spool/
 * inspect.ts reads the same), nor within the last range the central Veil answered (`sentUpTo`):
 * the intent log names the range in flight, and that range stays on disk after its answer.
 */
export function pendingRows(spoolDir: string, sentUpTo?: SpoolPosition): EventRow[] {
  if (!existsSync(spoolDir)) return []
  const { intent } = lastIntent(join(spoolDir, 'intents'))
  // Rows a full spool gave up (RELAY_SPOOL_FULL=drop-oldest) are not pending: they never leave.
  const { drop } = lastDrop(join(spoolDir, 'drops'))
  const rows: EventRow[] = []
  for (const seq of listSegments(spoolDir)) {
    const scan = readFrames(readFileSync(join(spoolDir, segmentName(seq))))
    for (const f of scan.frames) {
      if (intent && (seq < intent.seq || (seq === intent.seq && f.end <= intent.start))) continue
      if (isDropped(drop, intent, seq, f.end)) continue
      if (sentUpTo && !after({ seq, end: f.end }, sentUpTo)) continue
      rows.push(...rowsOfRange(f.payload, f.format))
    }
  }
  return rows
}

export interface Outbox {
  approved(): boolean
  approve(now: number): void
  /** Appends a forward's record with the bytes sent; records are written in order, off the main thread. */
  recordSent(record: Omit<SentRecord, 'rows'>, body: Buffer, format: RowsFormat): void
  view(spoolDir: string, lastForwards?: number): OutboxView
}

export function openOutbox(dir: string): Outbox {
  mkdirSync(dir, { recursive: true })
  const sentPath = join(dir, SENT)
  let approved = existsSync(join(dir, APPROVED))
  let writes = Promise.resolve()
  return {
    // Read again until given: `veil relay approve` writes the file beside a running relay.
    approved: () => approved || (approved = existsSync(join(dir, APPROVED))),
    approve(now) {
      writeFileSync(join(dir, APPROVED), new Date(now).toISOString() + '\n', { flush: true })
      approved = true
    },
    recordSent(record, body, format) {
      const line = JSON.stringify({ ...record, format, body_base64: body.toString('base64') } satisfies SentLine) + '\n'
      writes = writes.then(async () => {
        if (existsSync(sentPath) && statSync(sentPath).size > SENT_MAX_BYTES) renameSync(sentPath, `${sentPath}.1`)
        await appendFile(sentPath, line)
      }).catch(() => undefined)
    },
    view(spoolDir, lastForwards = 20) {
      const records: SentRecord[] = existsSync(sentPath)
        ? readFileSync(sentPath, 'utf8').split('\n').filter(Boolean).map((l) => {
          const { format, body_base64, ...rest } = JSON.parse(l) as SentLine
          return { ...rest, rows: rowsOfRange(Buffer.from(body_base64, 'base64'), format) }
        })
        : []
      let sentUpTo: SpoolPosition | undefined
      for (const r of records) if (r.range && after(r.range, sentUpTo)) sentUpTo = r.range
      const pending = pendingRows(spoolDir, sentUpTo)
      const perEvent: Record<string, number> = {}
      for (const r of records) countPerEvent(r.rows, perEvent)
      return {
        approved: approved || existsSync(join(dir, APPROVED)),
        pending: { rows: pending.length, perEvent: countPerEvent(pending), sample: pending.slice(0, 100) },
        sent: {
          forwards: records.length,
          rows: records.reduce((n, r) => n + r.rows.length, 0),
          refused: records.reduce((n, r) => n + r.refused.length, 0),
          perEvent,
          last: records.slice(-lastForwards),
        },
      }
    },
  }
}
