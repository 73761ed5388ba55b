// The event ids of a RowBinary body as raw bytes (eventIdBytes, for the stored-ids check inside
// the embedded engine's insert): the same ids eventIdsOf reads as text, in order, whatever the
// rows around them, and a truncated body is an error rather than a short list.
import { describe, expect, it } from 'vitest'
import { EVENT_ROWS } from '../../../../src/storage/rows/event-rows.ts'
import type { EventRow } from '../../../../src/pipeline/types.ts'
import { eventIdBytes, eventIdsOf } from '../../../../src/storage/rows/rows-format.ts'
import { uuidText } from '../../../../src/storage/rows/row-binary.ts'

const row = (app: string, id: string, props: Record<string, string> = {}): EventRow =>
  [app, id, 'login', Date.now() - 5000, Date.now(), 'uh', 'sh', '', 20412, props, {}, 'DE', '', 'Chrome', '120', 'Linux', '', 'desktop', 'de', 0, 0, '', '', 'user']

const idsOfBytes = (b: Buffer) => Array.from({ length: b.length / 16 }, (_, i) => uuidText(b, i * 16))

describe('eventIdBytes', () => {
  it('copies each row’s 16 id bytes, in order, past app ids and maps of any length', () => {
    const rows = Array.from({ length: 37 }, (_, i) =>
      row('a'.repeat(i * 9), `${String(i).padStart(8, '0')}-0000-4000-8000-${String(i * 7919).padStart(12, '0')}`, { long: 'ü'.repeat(i * 20) }),
    )
    const body = EVENT_ROWS.encode(rows)
    const ids = eventIdBytes(body)
    expect(ids.length).toBe(37 * 16)
    expect(idsOfBytes(ids)).toEqual(rows.map((r) => r[1]))
    expect(idsOfBytes(ids)).toEqual(eventIdsOf(body, 'RowBinary'))
  })

  it('takes the row count as a hint only: a wrong one still gives every id', () => {
    const rows = Array.from({ length: 10 }, (_, i) => row('app', `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`))
    const body = EVENT_ROWS.encode(rows)
    for (const hint of [0, 1, 3, 10, 500]) expect(idsOfBytes(eventIdBytes(body, hint))).toEqual(rows.map((r) => r[1]))
    expect(eventIdBytes(Buffer.alloc(0)).length).toBe(0)
  })

  it('refuses a body cut inside a row', () => {
    const body = EVENT_ROWS.encode([row('app', '00000000-0000-4000-8000-000000000001'), row('app', '00000000-0000-4000-8000-000000000002')])
    expect(() => eventIdBytes(body.subarray(0, body.length - 3))).toThrow(RangeError)
  })
})
