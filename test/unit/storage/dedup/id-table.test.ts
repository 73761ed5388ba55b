// IdTable and idBits: the retry memory's store. UUIDs keep their exact 128 bits (in any case),
// other strings get distinct keyed hashes, and the table finds every id it holds up to its limit.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { IdTable, idBits } from '../../../../src/storage/dedup/id-table.ts'

const bitsOf = (id: string) => {
  const out = new Uint32Array(4)
  idBits(id, out)
  return [...out]
}

describe('idBits', () => {
  it('packs a UUID as its own 128 bits, whatever the case of its hex digits', () => {
    expect(bitsOf('0123abcd-4567-89ef-0011-2233445566ff')).toEqual([0x0123abcd, 0x456789ef, 0x00112233, 0x445566ff])
    expect(bitsOf('0123ABCD-4567-89EF-0011-2233445566FF')).toEqual(bitsOf('0123abcd-4567-89ef-0011-2233445566ff'))
  })

  it('hashes anything else, so that near-identical strings still differ', () => {
    const ids = ['a', 'b', 'ab', 'ba', '', '0123abcd-4567-89ef-0011-2233445566fg', '0123abcd+4567-89ef-0011-2233445566ff']
    const keys = new Set(ids.map((id) => bitsOf(id).join(',')))
    expect(keys.size).toBe(ids.length)
    expect(bitsOf('0123abcd+4567-89ef-0011-2233445566ff')).not.toEqual([0x0123abcd, 0x456789ef, 0x00112233, 0x445566ff])
  })
})

describe('IdTable', () => {
  it('finds each of `limit` ids, refuses a new one beyond it, and still replaces a held one', () => {
    const t = new IdTable(5000)
    const ids = Array.from({ length: 5000 }, () => randomUUID())
    const b = new Uint32Array(4)
    expect(ids.filter((id, i) => (idBits(id, b), t.set(b, i + 1)))).toHaveLength(5000)
    expect(ids.every((id, i) => (idBits(id, b), t.get(b) === i + 1))).toBe(true)
    idBits(randomUUID(), b)
    expect(t.get(b)).toBe(0)
    expect(t.set(b, 7)).toBe(false)
    idBits(ids[42]!, b)
    expect(t.set(b, 9)).toBe(true)
    expect([t.get(b), t.count]).toEqual([9, 5000])
  })

  it('holds time-ordered ids (UUIDv7 shares its leading bits) as well as random ones', () => {
    const t = new IdTable(2000)
    const ids = Array.from({ length: 2000 }, (_, i) => `018f3c2a-7b00-7000-8000-${i.toString(16).padStart(12, '0')}`)
    const b = new Uint32Array(4)
    expect(ids.every((id) => (idBits(id, b), t.set(b, 1)))).toBe(true)
    expect(t.count).toBe(2000)
    expect(bitsOf(ids[255]!)).toEqual([0x018f3c2a, 0x7b007000, 0x80000000, 0xff])
    expect(ids.filter((id) => (idBits(id, b), t.get(b) === 1))).toHaveLength(2000)
  })

  it('is empty after clear', () => {
    const t = new IdTable(10)
    const b = new Uint32Array(4)
    idBits('x', b)
    t.set(b, 3)
    t.clear()
    expect([t.get(b), t.count]).toEqual([0, 0])
  })
})
