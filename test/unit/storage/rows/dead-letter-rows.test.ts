// Rows as the durability code reads them: the event ids of a spooled frame (for the retry memory
// after a replay), a dead-lettered row decoded from either format, and as a quarantine row
// without identifiers.
import { describe, expect, it } from 'vitest'
import { deadLetterToQuarantine } from '../../../../src/storage/rows/dead-letter-rows.ts'
import { decodeRow, encodeEventRows, encodeRows, eventIdsOf, splitRows } from '../../../../src/storage/rows/rows-format.ts'
import type { EventRow } from '../../../../src/pipeline/types.ts'

const row = (app: string, id: string): EventRow =>
  [app, id, 'login', 1, 2, 'userhash', 'sessionhash', 'orghash', 1, { plan: 'premium-tier', note: 'secret-note' }, { n: 1 }, '', '', '', '', '', '', '', '', 0, 0, '', '', 'user']

describe('eventIdsOf a JSON frame', () => {
  it('reads the event id of every row, whatever the app id holds', () => {
    const rows = [row('plain', 'id-1'), row('with "quotes" and \\ backslash', 'id-2'), row('', 'id-3')]
    expect(eventIdsOf(encodeRows(rows), 'JSONCompactEachRow')).toEqual(['id-1', 'id-2', 'id-3'])
  })
})

describe('deadLetterToQuarantine', () => {
  it('keeps the app, time, name and prop keys, never a hash or a prop value', () => {
    const [q] = deadLetterToQuarantine([row('app', 'id-1')], 'Code: 25. bad escape')
    expect(q).toEqual(['app', 2, 0, 'storage refused the row: Code: 25. bad escape', 'login', JSON.stringify({ prop_keys: ['plan', 'note'] })])
    expect(JSON.stringify(q)).not.toMatch(/userhash|sessionhash|orghash|premium|secret|id-1/)
  })
})

describe('decodeRow', () => {
  const uuidRow = row('app', '00000000-0000-4000-8000-000000000001')
  it('reads a dead-lettered row back as the typed row from RowBinary and from JSON alike', () => {
    const binary = encodeEventRows([uuidRow])
    expect(binary.format).toBe('RowBinary')
    const [b] = splitRows(binary.payload, 'RowBinary')
    expect(decodeRow(b!, 'RowBinary')).toEqual(uuidRow)
    const [j] = splitRows(encodeRows([uuidRow]), 'JSONCompactEachRow')
    expect(decodeRow(j!, 'JSONCompactEachRow')).toEqual(uuidRow)
  })
  it('gives undefined for a JSON line that is not a row', () => {
    expect(decodeRow(Buffer.from('{"not":"a row"}\n'), 'JSONCompactEachRow')).toBeUndefined()
    expect(decodeRow(Buffer.from('["cut off\n'), 'JSONCompactEachRow')).toBeUndefined()
  })
})
