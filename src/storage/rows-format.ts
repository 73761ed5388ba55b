// Rows as the bytes of one ClickHouse insert in JSONCompactEachRow: one JSON array per line, in
// the table's column order; Map columns as JSON objects
// (https://clickhouse.com/docs/interfaces/formats/JSONCompactEachRow). The same text that
// @clickhouse/client would produce from the rows, built once: the spool stores it as it is and
// the insert sends it as it is.
export const ROWS_FORMAT = 'JSONCompactEachRow' as const

export function encodeRows(rows: readonly unknown[][]): Buffer {
  let text = ''
  for (const r of rows) text += JSON.stringify(r) + '\n'
  return Buffer.from(text, 'utf8')
}
