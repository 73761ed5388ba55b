// Events-table rows as the bytes of one ClickHouse insert, in one of two formats: RowBinary
// (BINARY_ROWS_FORMAT), what the spool writes now (event-rows.ts: encoded straight from the row
// arrays, read by the engine without parsing text), and JSONCompactEachRow (JSON_ROWS_FORMAT,
// one JSON array per line: https://clickhouse.com/docs/interfaces/formats/JSONCompactEachRow),
// which direct mode sends and earlier spools wrote, fed, split and dead-lettered the same way.
// Each spool frame says which.
import type { EventRow } from '../../pipeline/types.ts'
import { EVENT_ROWS } from './event-rows.ts'
import { readVarint, uuidText } from './row-binary.ts'

/** The spool's frames and the embedded engine's file inserts. */
export const BINARY_ROWS_FORMAT = 'RowBinary' as const
/** Direct mode's inserts, older spool frames, and a row RowBinary cannot express. */
export const JSON_ROWS_FORMAT = 'JSONCompactEachRow' as const
export type RowsFormat = typeof JSON_ROWS_FORMAT | typeof BINARY_ROWS_FORMAT

/** JSONCompactEachRow: the text @clickhouse/client would produce from the rows, built once. */
export function encodeRows(rows: readonly unknown[][]): Buffer {
  let text = ''
  for (const r of rows) text += JSON.stringify(r) + '\n'
  return Buffer.from(text, 'utf8')
}

/**
 * The rows in the cheapest format the engine takes. A row RowBinary cannot express (an event id
 * that is not a UUID: the pipeline never makes one) sends its rows as JSON instead, where
 * ClickHouse refuses that row alone and the poison isolation dead-letters it (poison.ts).
 */
export function encodeEventRows(rows: readonly EventRow[]): { payload: Buffer; format: RowsFormat } {
  try {
    return { payload: EVENT_ROWS.encode(rows), format: BINARY_ROWS_FORMAT }
  } catch (e) {
    if (!(e instanceof RangeError)) throw e
    return { payload: encodeRows(rows), format: JSON_ROWS_FORMAT }
  }
}

/** The rows of a body, each as its own bytes (subarrays: no copy). */
export function splitRows(body: Buffer, format: RowsFormat): Buffer[] {
  const rows: Buffer[] = []
  let at = 0
  while (at < body.length) {
    let end: number
    if (format === 'RowBinary') end = EVENT_ROWS.skipRow(body, at)
    else {
      // JSON never holds a raw newline.
      const nl = body.indexOf(10, at)
      end = nl < 0 ? body.length : nl + 1
    }
    rows.push(body.subarray(at, end))
    at = end
  }
  return rows
}

/** One row's bytes as a JSONCompactEachRow line without its newline (dead letters, logs). */
export function rowAsJson(row: Buffer, format: RowsFormat): string {
  if (format === JSON_ROWS_FORMAT) return row.toString('utf8').trimEnd()
  return JSON.stringify(EVENT_ROWS.decodeRow(row, 0).row)
}

/**
 * One row's bytes as the typed row, in either format; undefined when a JSON line is not a row
 * (it cannot be read back: the dead-letter file keeps its text).
 */
export function decodeRow(row: Buffer, format: RowsFormat): EventRow | undefined {
  if (format === BINARY_ROWS_FORMAT) return EVENT_ROWS.decodeRow(row, 0).row
  try {
    const value: unknown = JSON.parse(row.toString('utf8'))
    return Array.isArray(value) && typeof value[0] === 'string' ? (value as EventRow) : undefined
  } catch {
    return undefined
  }
}

/** The event id of one row's bytes (the second column), read without decoding the rest. */
export function eventIdOf(row: Buffer, format: RowsFormat): string | undefined {
  if (format === 'RowBinary') {
    // app_id (a String: length, bytes), then the UUID.
    let n: number
    let at: number
    try {
      ;[n, at] = readVarint(row, 0)
    } catch {
      return undefined // the row ends inside app_id's length
    }
    return at + n + 16 <= row.length ? uuidText(row, at + n) : undefined
  }
  return ID.exec(row.toString('utf8', 0, Math.min(row.length, 300)))?.[1]
}

/** `["app_id","event_id",...`: the second JSON string of a line, read without parsing the row. */
const ID = /^\["(?:[^"\\]|\\.)*","([^"]*)"/

/**
 * Calls `each` with the offset of every row's event id in a RowBinary events body (app_id, a
 * String, then the UUID), from the row at `from`, for at most `rows` rows; returns where it
 * stopped (the body's length once every row is walked).
 */
export function eachEventIdAt(body: Buffer, each: (at: number) => void, from = 0, rows = Infinity): number {
  let at = from
  for (let n = 0; n < rows && at < body.length; n++) {
    const end = EVENT_ROWS.skipRow(body, at)
    const [len, start] = readVarint(body, at)
    each(start + len)
    at = end
  }
  return at
}

/**
 * The 16 raw bytes of every row's event id, one after another: a RowBinary body of the one
 * column `event_id UUID`, copied without turning an id into text (file-insert.ts's stored-ids
 * check). `rows` sizes the result when known.
 */
export function eventIdBytes(body: Buffer, rows = 0): Buffer {
  let out = Buffer.allocUnsafe(Math.max(rows, 1) * 16)
  let n = 0
  eachEventIdAt(body, (at) => {
    if ((n + 1) * 16 > out.length) {
      const next = Buffer.allocUnsafe(out.length * 2)
      out.copy(next, 0, 0, n * 16)
      out = next
    }
    body.copy(out, n * 16, at, at + 16)
    n++
  })
  return out.subarray(0, n * 16)
}

/** The event ids of a body, in order. */
export function eventIdsOf(body: Buffer, format: RowsFormat): string[] {
  const ids: string[] = []
  for (const row of splitRows(body, format)) {
    const id = eventIdOf(row, format)
    if (id !== undefined) ids.push(id)
  }
  return ids
}
