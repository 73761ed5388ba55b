// isUuid against zod's own z.uuid() pattern, the source of truth: the same verdict on valid ids
// of every version and case, on the special ids, and on thousands of mutated ones.
import { describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { uuidSchema } from '../../../src/ingest/batch-schema.ts'
import { isUuid } from '../../../src/ingest/uuid-check.ts'
import { seededRandom } from '../../support/seeded-random.ts'

const zodSays = (s: string) => uuidSchema.safeParse(s).success
const pattern = uuidSchema.def.pattern!


// Characters a mutation puts in: every hex digit, the neighbours of each range, the dash, and
// characters whose low bits or lower-case form look like a hex digit.
const CHARS = [...'0123456789abcdefABCDEFgGxX-_/:@`[{ \n', '\u0000', '\u00e9', '\uff10', '\ud800', '\u0130', '\u212a']

describe('isUuid', () => {
  it.each([
    ['0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11', true],
    ['0193A6A2-7C1E-7D4B-9A51-6F0E2F3B8C11', true],
    ['0193a6a2-7c1e-1d4b-8a51-6f0e2f3b8c11', true],
    ['0193a6a2-7c1e-8d4b-Ba51-6f0e2f3b8c11', true],
    ['00000000-0000-0000-0000-000000000000', true],
    ['ffffffff-ffff-ffff-ffff-ffffffffffff', true],
    ['FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', false],
    ['0193a6a2-7c1e-9d4b-9a51-6f0e2f3b8c11', false],
    ['0193a6a2-7c1e-0d4b-9a51-6f0e2f3b8c11', false],
    ['0193a6a2-7c1e-7d4b-7a51-6f0e2f3b8c11', false],
    ['0193a6a2-7c1e-7d4b-ca51-6f0e2f3b8c11', false],
    ['0193a6a27c1e7d4b9a516f0e2f3b8c11', false],
    ['{0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11}', false],
    ['0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11\n', false],
    ['0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c1', false],
    ['0193a6a2_7c1e-7d4b-9a51-6f0e2f3b8c11', false],
    ['', false],
  ])('%s: %s, as zod says', (id, expected) => {
    expect(zodSays(id)).toBe(expected)
    expect(isUuid(id)).toBe(expected)
  })

  it('agrees with zod on random ids of every version and variant', () => {
    for (let i = 0; i < 2000; i++) {
      const id = randomUUID()
      // Every version digit and every variant digit, over the 2000 ids.
      const hex = '0123456789abcdef'
      const versioned = `${id.slice(0, 14)}${hex[i % 16]}${id.slice(15, 19)}${hex[(i >> 4) % 16]}${id.slice(20)}`
      for (const candidate of [id, id.toUpperCase(), versioned, versioned.toUpperCase()]) {
        expect(isUuid(candidate), candidate).toBe(pattern.test(candidate))
      }
    }
  })

  it('agrees with zod on every single-character change and on mutated ids', () => {
    const next = seededRandom(14)
    const bases = ['0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '0193A6A2-7C1E-4D4B-BA51-6F0E2F3B8C11']
    let accepted = 0
    let refused = 0
    const check = (id: string) => {
      const verdict = pattern.test(id)
      expect(isUuid(id), JSON.stringify(id)).toBe(verdict)
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
