// One line per queued event in a segment file: `<checksum> <json>\n`. The checksum lets a reader
// tell a torn or damaged line (kill -9 mid-write, a bad disk block) from a real event.
import { createHash } from 'node:crypto'
import type { WireEvent } from '../core/catalog.ts'

function checksum(json: string): string {
  return createHash('sha256').update(json).digest('hex').slice(0, 12)
}

export function encodeRecord(event: WireEvent): string {
  const json = JSON.stringify(event)
  return `${checksum(json)} ${json}\n`
}

/** The event of one line (without its newline), or undefined when the line is damaged. */
export function decodeRecord(line: string): WireEvent | undefined {
  const space = line.indexOf(' ')
  const json = line.slice(space + 1)
  if (space !== 12 || checksum(json) !== line.slice(0, space)) return undefined
  try {
    const e = JSON.parse(json) as WireEvent
    return typeof e?.id === 'string' && typeof e.name === 'string' ? e : undefined
  } catch {
    return undefined
  }
}
