// The RowBinary codec of events rows without an engine: what it encodes it reads back the same,
// row boundaries are found in any body, a truncated body is an error rather than a short row,
// and a row it cannot express goes out as JSON (where the engine refuses that row alone).
import { describe, expect, it } from 'vitest'
import { EVENT_BINARY_TYPES, EVENT_ROWS } from '../../../../src/storage/rows/event-rows.ts'
import { EVENT_COLUMNS, type EventRow } from '../../../../src/pipeline/types.ts'
import { encodeEventRows, encodeRows, eventIdsOf, rowAsJson, splitRows } from '../../../../src/storage/rows/rows-format.ts'

const row = (id: string, over: Partial<Record<number, unknown>> = {}): EventRow => {
  const r: EventRow = ['app', id, 'page_view', Date.now() - 5000, Date.now(), 'uh', 'sh', '', 20412, { path: '/a' }, { ms: 12.5 }, 'DE', 'München', 'Chrome', '120', 'Windows', '10', 'desktop', 'de-DE', 1920, 1080, '1.0', 'cloud', 'user']
  for (const [i, v] of Object.entries(over)) (r as unknown[])[Number(i)] = v
  return r
}

describe('the events RowBinary codec', () => {
  it('has a type for every column', () => {
    expect(EVENT_BINARY_TYPES).toHaveLength(EVENT_COLUMNS.length)
  })

  it('reads back every row it wrote: non-ASCII, long strings, empty and large maps, fractions, extremes', () => {
    const long = 'x'.repeat(300) + 'ü'.repeat(100)
    const rows = [
      row('00000000-0000-4000-8000-000000000001'),
      row('ABCDEF01-2345-4678-9abc-def012345678', { 0: '', 2: '🎉 emoji name', 5: long, 9: {}, 10: {} }),
      row('ffffffff-ffff-4fff-bfff-ffffffffffff', { 3: 0, 4: 8.64e15, 8: 4294967295, 9: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, `v${'é'.repeat(i)}`])), 10: { a: -1.5e-300, b: 1e300, c: 0 }, 19: 65535, 20: 0 }),
    ]
    const body = EVENT_ROWS.encode(rows)
    const parts = splitRows(body, 'RowBinary')
    expect(parts).toHaveLength(3)
    const back = parts.map((p) => EVENT_ROWS.decodeRow(p, 0).row)
    expect(back[0]).toEqual(rows[0])
    expect(back[1]![1]).toBe('abcdef01-2345-4678-9abc-def012345678') // UUIDs read back in lower case
    expect({ ...back[1], 1: '' }).toEqual({ ...rows[1], 1: '' })
    expect(back[2]).toEqual(rows[2])
    expect(eventIdsOf(body, 'RowBinary')).toEqual(['00000000-0000-4000-8000-000000000001', 'abcdef01-2345-4678-9abc-def012345678', 'ffffffff-ffff-4fff-bfff-ffffffffffff'])
  })

  it('writes the bytes a plain reference encoder writes, for strings of every internal shape in every column', () => {
    // V8 keeps strings as literals, parsed text, slices, concatenations, internalized copies and
    // two-byte text; the encoder inlines its string code per column, and each site must give
    // the same bytes whatever shape reaches it. 3,000 rows so that the optimised code runs too.
    const lookup: Record<string, number> = {}
    const shapes = (i: number): string[] => {
      const parsed = JSON.parse(`["parsed-${i}", "${'p'.repeat(i % 140)}"]`) as string[]
      const sliced = `${'h'.repeat(48)}${i.toString(16).padStart(16, '0')}`.slice(48)
      const joined = `cons-${i}-` + 'x'.repeat(i % 20)
      const thin = `thin_${i % 7}_name`.split('').join('')
      lookup[thin] = i
      return [`lit`, parsed[0]!, parsed[1]!, sliced, joined, thin, `zwei-${i}-ü`, `€${'a'.repeat(i % 130)}`, 'a'.repeat(127), 'b'.repeat(128), `${'c'.repeat(126)}é`, '']
    }
    const rows: EventRow[] = []
    for (let i = 0; i < 3000; i++) {
      const v = shapes(i)
      const at = (k: number) => v[(i + k) % v.length]!
      rows.push(row(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, {
        0: at(0), 2: at(1), 5: at(2), 6: at(3), 7: at(4), 9: { [at(5)]: at(6), [`k${at(7)}`]: at(8) }, 10: { [at(9) || 'e']: i / 7 },
        11: at(10), 12: at(11), 13: at(0), 14: at(3), 15: at(5), 16: at(6), 17: at(7), 18: at(8), 21: at(9), 22: at(10), 23: at(11),
      }))
    }
    expect(Buffer.compare(EVENT_ROWS.encode(rows), referenceEncode(rows))).toBe(0)
  })

  it('writes a lone surrogate as U+FFFD, as the edge repairs it', () => {
    const [back] = splitRows(EVENT_ROWS.encode([row('00000000-0000-4000-8000-000000000001', { 9: { note: 'a \ud800 b' } })]), 'RowBinary').map((p) => EVENT_ROWS.decodeRow(p, 0).row)
    expect(back![9]).toEqual({ note: 'a \ufffd b' })
  })

  it('refuses a body cut inside a row instead of reading a short row', () => {
    const body = EVENT_ROWS.encode([row('00000000-0000-4000-8000-000000000001'), row('00000000-0000-4000-8000-000000000002')])
    for (const cut of [1, 20, body.length - 1]) expect(() => splitRows(body.subarray(0, cut), 'RowBinary')).toThrow(RangeError)
  })

  it('turns a row into the JSON line the dead-letter file keeps', () => {
    const r = row('00000000-0000-4000-8000-000000000001')
    expect(JSON.parse(rowAsJson(EVENT_ROWS.encode([r]), 'RowBinary'))).toEqual(r)
    expect(rowAsJson(encodeRows([r]), 'JSONCompactEachRow')).toBe(JSON.stringify(r))
  })
})

describe('encodeEventRows', () => {
  it('encodes RowBinary, or JSON when an event id is not a UUID (the engine then refuses that row alone)', () => {
    const good = [row('00000000-0000-4000-8000-000000000001')]
    expect(encodeEventRows(good).format).toBe('RowBinary')
    for (const bad of ['not-a-uuid', '00000000-0000-4000-8000-00000000000g', '00000000-0000-4000-8000-0000000000000', '00000000x0000-4000-8000-000000000000']) {
      const rows = [...good, row(bad)]
      expect(encodeEventRows(rows)).toEqual({ payload: encodeRows(rows), format: 'JSONCompactEachRow' })
    }
  })
})

/** RowBinary written the plain way (Buffer.from per value), to check the generated encoder against. */
function referenceEncode(rows: readonly EventRow[]): Buffer {
  const parts: Buffer[] = []
  const varint = (n: number) => {
    const b: number[] = []
    while (n >= 0x80) {
      b.push((n & 0x7f) | 0x80)
      n = Math.floor(n / 128)
    }
    b.push(n)
    parts.push(Buffer.from(b))
  }
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8')
    varint(b.length)
    parts.push(b)
  }
  for (const r of rows) {
    EVENT_BINARY_TYPES.forEach((t, i) => {
      const v = r[i] as never
      const b = Buffer.alloc(8)
      switch (t) {
        case 'String':
          return str(v)
        case 'UUID': {
          const hex = (v as string).replaceAll('-', '')
          return parts.push(Buffer.from(hex.slice(0, 16), 'hex').reverse(), Buffer.from(hex.slice(16), 'hex').reverse())
        }
        case 'DateTime64(3)':
          b.writeBigInt64LE(BigInt(v))
          return parts.push(b)
        case 'UInt32':
          b.writeUInt32LE(v)
          return parts.push(b.subarray(0, 4))
        case 'UInt16':
          b.writeUInt16LE(v)
          return parts.push(b.subarray(0, 2))
        default: {
          const m = v as Record<string, string | number>
          varint(Object.keys(m).length)
          for (const [k, x] of Object.entries(m)) {
            str(k)
            if (t === 'Map(String, String)') str(x as string)
            else {
              const f = Buffer.alloc(8)
              f.writeDoubleLE(x as number)
              parts.push(f)
            }
          }
        }
      }
    })
  }
  return Buffer.concat(parts)
}
