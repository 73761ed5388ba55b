// Event ids (issue 25): only well-formed random UUIDs of version 4 or 7 are kept. isEventId, the
// fast path's character loop, against the schema's uuidSchema (zod's own v4 and v7 patterns and
// the shared randomness check): the same verdict on valid, invalid, low-entropy and mutated ids.
// Ids made of phone digits of several locales, repeats and counters are refused; the randomness
// check refuses almost no random id (a million of each version).
import { describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { fakerDE, fakerEN_US, fakerES, fakerJA, fakerPL, fakerTR, type Faker } from '@faker-js/faker'
import { uuidSchema } from '../../../src/ingest/batch-schema.ts'
import { isEventId } from '../../../src/ingest/uuid-check.ts'
import { createUuid, lowEntropyId } from '../../../sdk/core/uuid.ts'
import { seededRandom } from '../../support/seeded-random.ts'

const zodSays = (s: string) => uuidSchema.safeParse(s).success
const layout = (s: string) => z.regexes.uuid4.test(s) || z.regexes.uuid7.test(s)

// Characters a mutation puts in: every hex digit, the neighbours of each range, the dash, and
// characters whose low bits or lower-case form look like a hex digit.
const CHARS = [...'0123456789abcdefABCDEFgGxX-_/:@`[{ \n', '\u0000', '\u00e9', '\uff10', '\ud800', '\u0130', '\u212a']

const HEX2 = Array.from({ length: 256 }, (_, i) => (i + 256).toString(16).slice(1))

/** A UUID from 16 random bytes: version 4, or 7 with `ms` as its time. */
function uuidOf(b: Uint8Array, version: 4 | 7, ms = 0): string {
  if (version === 7) for (let i = 0; i < 6; i++) b[i] = Math.floor(ms / 2 ** (8 * (5 - i))) & 255
  b[6] = (b[6]! & 15) | (version << 4)
  b[8] = (b[8]! & 63) | 128
  const h = (i: number) => HEX2[b[i]!]!
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`
}

/** An id of the layout zod accepts made from a string of digits (a phone number), padded as a careless sender would. */
function digitsId(digits: string, version: '4' | '7', pad: string): string {
  const d = (digits + pad.repeat(32)).slice(0, 32).split('')
  d[12] = version
  d[16] = '8'
  const h = d.join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

describe('isEventId', () => {
  it.each([
    ['0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11', true],
    ['0193A6A2-7C1E-7D4B-9A51-6F0E2F3B8C11', true],
    ['0193a6a2-7c1e-4d4b-Ba51-6f0e2f3b8c11', true],
    ['550e8400-e29b-41d4-a716-446655440000', true],
    ['0193a6a2-7c1e-1d4b-8a51-6f0e2f3b8c11', false], // v1: a MAC address and a time
    ['0193a6a2-7c1e-8d4b-Ba51-6f0e2f3b8c11', false], // v8: anything at all
    ['00000000-0000-0000-0000-000000000000', false],
    ['ffffffff-ffff-ffff-ffff-ffffffffffff', false],
    ['00000000-0000-4000-8000-000000000001', false], // a counter
    ['00000000-0000-4000-8000-004915112345', false], // phone digits after zeros
    ['49151123-4567-4891-8511-234567491511', false], // phone digits repeated
    ['abababab-abab-4bab-abab-abababababab', false],
    ['0123456f-89ab-4def-8123-456789abcdef', false],
    ['9a516f0e-2f3b-7c11-9d4b-0193a6a27c1e', false], // v7 whose time is year 7338
    ['0193a6a2-7c1e-9d4b-9a51-6f0e2f3b8c11', false],
    ['0193a6a2-7c1e-7d4b-7a51-6f0e2f3b8c11', false],
    ['0193a6a27c1e7d4b9a516f0e2f3b8c11', false],
    ['{0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11}', false],
    ['0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11\n', false],
    ['', false],
  ])('%s: %s, as the schema says', (id, expected) => {
    expect(zodSays(id)).toBe(expected)
    expect(isEventId(id)).toBe(expected)
  })

  it('refuses ids made of phone numbers of six locales, padded or repeated, and keeps the control', () => {
    const fakers: Faker[] = [fakerDE, fakerEN_US, fakerES, fakerJA, fakerPL, fakerTR]
    fakers.forEach((f, i) => f.seed(2525 + i))
    let planted = 0
    for (const f of fakers) {
      for (let i = 0; i < 100; i++) {
        const phone = f.phone.number().replace(/\D/g, '')
        for (const id of [digitsId(phone, '4', '0'), digitsId(phone, '4', phone), digitsId('0'.repeat(i % 20) + phone, '4', '0'), digitsId(phone, '7', phone)]) {
          expect(zodSays(id), id).toBe(false)
          expect(isEventId(id), id).toBe(false)
          planted++
        }
      }
    }
    expect(planted).toBe(2400)
    const control = randomUUID()
    expect(zodSays(control) && isEventId(control)).toBe(true)
    expect(uuidSchema.safeParse('00000000-0000-4000-8000-004915112345').error?.issues[0]?.message).toMatch(/^id must be a random UUID \(crypto\.randomUUID\(\)\): this one /)
  })

  it('refuses at most a few in a million random v4 and v7 ids', () => {
    const next = seededRandom(25)
    const words = new Uint32Array(4)
    const b = new Uint8Array(words.buffer)
    const bytes = () => {
      for (let i = 0; i < 4; i++) words[i] = next() * 4294967296
      return b
    }
    const now = Date.now()
    const refused = { v4: 0, v7: 0 }
    for (let i = 0; i < 1_000_000; i++) {
      if (!isEventId(uuidOf(bytes(), 4))) refused.v4++
      // v7 ids made within the last 30 days.
      if (!isEventId(uuidOf(bytes(), 7, now - Math.floor(next() * 30 * 86_400_000)))) refused.v7++
    }
    // Expected about 0.4 per million for v4 (the decimal rule) and 0.007 for v7 while its time
    // holds a letter (sdk/core/uuid.ts); this seed refuses none of either.
    expect(refused.v4).toBeLessThanOrEqual(2)
    expect(refused.v7).toBeLessThanOrEqual(2)
  })

  it('agrees with the schema on random ids of every version and variant', () => {
    for (let i = 0; i < 2000; i++) {
      const id = randomUUID()
      // Every version digit and every variant digit, over the 2000 ids.
      const hex = '0123456789abcdef'
      const versioned = `${id.slice(0, 14)}${hex[i % 16]}${id.slice(15, 19)}${hex[(i >> 4) % 16]}${id.slice(20)}`
      for (const candidate of [id, id.toUpperCase(), versioned, versioned.toUpperCase()]) {
        expect(isEventId(candidate), candidate).toBe(zodSays(candidate))
        expect(zodSays(candidate), candidate).toBe(layout(candidate) && lowEntropyId(candidate) === undefined)
      }
    }
  })

  it('agrees with the schema on every single-character change and on mutated ids', () => {
    const next = seededRandom(14)
    const bases = ['0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11', '00000000-0000-4000-8000-000000000000', 'b40a6bf4-fec3-4b19-8397-26d4a6e5736b', '0193A6A2-7C1E-4D4B-BA51-6F0E2F3B8C11']
    let accepted = 0
    let refused = 0
    const check = (id: string) => {
      const verdict = zodSays(id)
      expect(isEventId(id), JSON.stringify(id)).toBe(verdict)
      if (verdict) accepted++
      else refused++
    }
    for (const base of bases) {
      for (let at = 0; at < base.length; at++) for (const c of CHARS) check(base.slice(0, at) + c + base.slice(at + 1))
    }
    for (let i = 0; i < 20_000; i++) {
      let id = bases[Math.floor(next() * bases.length)]!
      for (let m = 1 + Math.floor(next() * 3); m > 0; m--) {
        const at = Math.floor(next() * (id.length + 1))
        const c = CHARS[Math.floor(next() * CHARS.length)]!
        const what = next()
        // Replace, insert or delete one character.
        id = what < 0.6 ? id.slice(0, at) + c + id.slice(at + 1) : what < 0.8 ? id.slice(0, at) + c + id.slice(at) : id.slice(0, at) + id.slice(at + 1)
      }
      check(id)
    }
    // Both verdicts were exercised many times over, so the comparison above means something.
    expect(accepted).toBeGreaterThan(1000)
    expect(refused).toBeGreaterThan(1000)
  })
})

describe('createUuid', () => {
  it('never makes an id the server refuses: a decimal-only draw is drawn again', () => {
    // A source whose first draw is all decimal digits, as 4 in 10 million random ids are.
    const draws = ['12345678-9012-4345-8678-901234567890'.replace(/^1234/, '9375'), randomUUID()]
    const id = createUuid({ randomUUID: () => draws.shift()!, getRandomValues: (a) => a })
    expect(draws).toEqual([])
    expect(isEventId(id)).toBe(true)
    for (let i = 0; i < 1000; i++) expect(isEventId(createUuid())).toBe(true)
  })
})
