// Rows between a relay and the central Veil (docs/relay.md "On the wire"): a forward's body is a
// spool range's bytes as they are (RowBinary, or JSONCompactEachRow for a row RowBinary cannot
// hold: storage/rows/rows-format.ts), named by Veil-Rows-Format; both sides read rows with the
// same codec. The central side reads bytes from a relay it does not trust: a body that does not
// split into whole rows is refused as a whole.
import type { EventRow } from '../pipeline/types.ts'
import { BINARY_ROWS_FORMAT, JSON_ROWS_FORMAT, decodeRow, splitRows, type RowsFormat } from '../storage/rows/rows-format.ts'

/** The content type of a forward's body. */
export const ROWS_TYPE = 'application/vnd.veil.rows'

export const isRowsFormat = (s: string | undefined): s is RowsFormat => s === BINARY_ROWS_FORMAT || s === JSON_ROWS_FORMAT

/** The rows of a spool range, decoded (the relay's spool holds nothing else). */
export function rowsOfRange(body: Buffer, format: RowsFormat): EventRow[] {
  return splitRows(body, format).map((r) => decodeRow(r, format)).filter((r): r is EventRow => r !== undefined)
}

/** The rows of a forward's body as values to check, each; undefined when the body is not whole rows. */
export function rowsOfForward(body: Buffer, format: RowsFormat): unknown[] | undefined {
  try {
    return splitRows(body, format).map((r) => decodeRow(r, format) ?? null)
  } catch {
    return undefined
  }
}
