// Operator commands on a spool directory (`npm run veil -- spool | dead-letter ...`): what is
// waiting, what is damaged, and the dead-letter file, exported or re-fed into ClickHouse once
// the cause is fixed. Reads the files directly: no running server needed for `spool`.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEAD_LETTER_FILE, readDeadLetters, type DeadLetter } from './dead-letter-file.ts'
import { errorFields } from '../../observability/log-error.ts'
import { lastIntent, listSegments, readFrames, segmentName } from './layout.ts'
import { isDropped, lastDrop } from './ledger.ts'

export interface SpoolReport {
  dir: string
  /** `jsonFrames`: frames in JSONCompactEachRow (written by earlier versions), the rest RowBinary. */
  segments: { name: string; bytes: number; frames: number; jsonFrames: number; rows: number; corruptBytes: number }[]
  damaged: { name: string; bytes: number }[]
  lastIntent?: { seq: number; start: number; end: number }
  deadLetters: number
  /** Rows waiting in segments (those of the last intent's range before its start are in ClickHouse; a relay's dropped ones are gone). */
  waitingRows: number
}

export function inspectSpool(dir: string): SpoolReport {
  if (!existsSync(dir)) throw new Error(`no spool at ${dir} (set SPOOL_DIR, or DATA_DIR for DATA_DIR/veil-spool)`)
  const { intent } = lastIntent(join(dir, 'intents'))
  const { drop } = lastDrop(join(dir, 'drops'))
  const segments = listSegments(dir).map((seq) => {
    const buf = readFileSync(join(dir, segmentName(seq)))
    const scan = readFrames(buf)
    const waiting = scan.frames.filter((f) => (!intent || seq > intent.seq || (seq === intent.seq && f.end > intent.start)) && !isDropped(drop, intent, seq, f.end))
    const jsonFrames = scan.frames.filter((f) => f.format === 'JSONCompactEachRow').length
    return { name: segmentName(seq), bytes: buf.length, frames: scan.frames.length, jsonFrames, rows: waiting.reduce((n, f) => n + f.rows, 0), corruptBytes: scan.corruptBytes }
  })
  const damaged = readdirSync(dir).filter((f) => f.endsWith('.damaged')).map((name) => ({ name, bytes: statSync(join(dir, name)).size }))
  return { dir, segments, damaged, lastIntent: intent, deadLetters: readDeadLetters(dir).length, waitingRows: segments.reduce((n, s) => n + s.rows, 0) }
}

/**
 * Inserts each dead-lettered row again; rows stored now leave the file, rows refused again stay
 * with the new reason. Tokens derive from the original token and the row, so a row re-fed twice
 * is stored once.
 */
export async function refeedDeadLetters(dir: string, insert: (body: Buffer, token: string) => Promise<void>): Promise<{ stored: number; kept: number }> {
  const records = readDeadLetters(dir)
  const kept: DeadLetter[] = []
  let stored = 0
  for (const r of records) {
    try {
      await insert(Buffer.from(r.row + '\n', 'utf8'), `refeed:${r.token}:${createHash('sha256').update(r.row).digest('hex').slice(0, 32)}`)
      stored++
    } catch (e) {
      kept.push({ ...r, at: new Date().toISOString(), reason: errorFields(e).message })
    }
  }
  const path = join(dir, DEAD_LETTER_FILE)
  writeFileSync(path + '.tmp', kept.map((k) => JSON.stringify(k) + '\n').join(''), { flush: true })
  renameSync(path + '.tmp', path)
  return { stored, kept: kept.length }
}
