// The dead-letter file of the spool: rows ClickHouse refused for what they are (poison.ts), one
// JSON line each with when, why and the insert token, kept next to the segments until an
// operator exports or re-feeds them (`npm run veil -- dead-letter`). Rows are anonymised
// already: the file holds nothing the events table would not.
import { existsSync, readFileSync } from 'node:fs'
import { appendFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { EventRow } from '../../pipeline/types.ts'
import { decodeRow, rowAsJson, type RowsFormat } from '../rows/rows-format.ts'
import type { SpoolOptions } from './types.ts'

export const DEAD_LETTER_FILE = 'dead-letter.jsonl'

export interface DeadLetter {
  /** ISO time it was dead-lettered. */
  at: string
  reason: string
  token: string
  /** The row as it was spooled: one JSONCompactEachRow line, without its newline. */
  row: string
}

/** Appends and syncs; throws when the disk refuses (the caller retries the range later). */
export async function appendDeadLetters(dir: string, rows: Buffer[], reason: string, token: string): Promise<void> {
  const at = new Date().toISOString()
  const text = rows.map((r) => JSON.stringify({ at, reason, token, row: r.toString('utf8').trimEnd() } satisfies DeadLetter) + '\n').join('')
  await appendFile(join(dir, DEAD_LETTER_FILE), text, { flush: true })
}

/** The feeder's dead-lettering of a range's refused rows: JSON lines whatever the frame's format, so an operator can read them. */
export function deadLetterRows(opts: Pick<SpoolOptions, 'dir' | 'onDeadLetter'>, token: string, format: RowsFormat) {
  return async (items: Buffer[], reason: string) => {
    const lines = items.map((r) => Buffer.from(rowAsJson(r, format) + '\n', 'utf8'))
    await appendDeadLetters(opts.dir, lines, reason, token)
    const rows = items.map((r) => decodeRow(r, format)).filter((r): r is EventRow => r !== undefined)
    opts.onDeadLetter?.(rows, reason)
  }
}

export function readDeadLetters(dir: string): DeadLetter[] {
  const path = join(dir, DEAD_LETTER_FILE)
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as DeadLetter)
}
