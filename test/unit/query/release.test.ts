// The release layer of the reports API (src/query/release.ts): the same atom gets the same noise
// on every ask, different atoms different noise, the gate is k exactly and k + GATE_MARGIN after
// the atom's own draw, and without a key (REPORT_NOISE=off) figures are exact.
import { describe, expect, it } from 'vitest'
import { GATE_MARGIN, averagesShown, passes, releaseCount, releasePeople, type Release } from '../../../src/query/release.ts'
import { loadConfig } from '../../../src/config.ts'

const rel: Release = { key: Buffer.alloc(32, 1), app: 'shop', k: 5 }
const exact: Release = { ...rel, key: null }

describe('release', () => {
  it('gives an atom the same noise on every ask, and other atoms other noise', () => {
    const a = releasePeople(rel, ['u', 1, 'login', '*', '2026-12-01'], 50)
    expect(releasePeople(rel, ['u', 1, 'login', '*', '2026-12-01'], 50)).toBe(a)
    const draws = new Set(Array.from({ length: 40 }, (_, i) => releasePeople(rel, ['u', i, 'login', '*', '2026-12-01'], 50)))
    expect(draws.size).toBeGreaterThan(5)
    // Another app's atom of the same name is another draw.
    const other = Array.from({ length: 40 }, (_, i) => releasePeople({ ...rel, app: 'other' }, ['u', i, 'login', '*', '2026-12-01'], 50))
    expect(other).not.toEqual(Array.from({ length: 40 }, (_, i) => releasePeople(rel, ['u', i, 'login', '*', '2026-12-01'], 50)))
  })

  it('is exact without a key', () => {
    expect(releasePeople(exact, ['u', 1], 7)).toBe(7)
    expect(releaseCount(exact, ['e', 1], 13)).toBe(13)
    expect(passes(exact, ['u', 1], 5)).toBe(true)
    expect(passes(exact, ['u', 1], 4)).toBe(false)
    expect(averagesShown(exact, 1)).toBe(true)
  })

  it('never shows an atom under k, and shows one only where its released people reach k + GATE_MARGIN', () => {
    let shownAtK = 0
    for (let i = 0; i < 400; i++) {
      const atom = ['u', i, 'x']
      expect(passes(rel, atom, 4)).toBe(false)
      if (passes(rel, atom, 5)) {
        shownAtK++
        expect(releasePeople(rel, atom, 5)).toBeGreaterThanOrEqual(5 + GATE_MARGIN)
      }
      // Far above k the gate nearly always passes.
    }
    // k people exactly (k-1 fakes and one real person): P(Z >= 6) is about 3 %.
    expect(shownAtK).toBeLessThan(30)
    expect(Array.from({ length: 100 }, (_, i) => passes(rel, ['u', i, 'big'], 60)).filter(Boolean).length).toBe(100)
  })

  it('withholds averages of rows under 10 k people when noisy', () => {
    expect(averagesShown(rel, 49)).toBe(false)
    expect(averagesShown(rel, 50)).toBe(true)
    expect(averagesShown(rel, null)).toBe(false)
  })
})

describe('REPORT_NOISE', () => {
  it('is on by default and refused as off in production', () => {
    expect(loadConfig({}).REPORT_NOISE).toBe('on')
    expect(loadConfig({ REPORT_NOISE: 'off' }).REPORT_NOISE).toBe('off')
    expect(() => loadConfig({ REPORT_NOISE: 'off', NODE_ENV: 'production' })).toThrow(/REPORT_NOISE: off is for tests and development only/)
  })
})
