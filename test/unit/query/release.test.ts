// The release rules (src/query/release.ts): one draw per atom and measure, the same on every
// ask; an atom under k is never shown; a hidden atom adds nothing to any figure.
import { describe, expect, it } from 'vitest'
import { addPeople, addTo, emptyFigure, GATE_MARGIN, releaseAtoms, type Atom, type Release } from '../../../src/query/release.ts'

const rel: Release = { key: Buffer.alloc(32, 1), app: 'shop', k: 5, minOrgs: 0 }
const atom = (cell: string, people: number, events = people * 2, day = 'day-1'): Atom => ({ period: 100, day, cell, people, events })

describe('releaseAtoms', () => {
  it('gives the same released figures on every ask, and other figures under another key', () => {
    const atoms = Array.from({ length: 50 }, (_, i) => atom(`name_${i}`, 40))
    expect(releaseAtoms(atoms, rel)).toEqual(releaseAtoms(atoms, rel))
    const other = releaseAtoms(atoms, { ...rel, key: Buffer.alloc(32, 2) })
    expect(other.map((r) => r.events)).not.toEqual(releaseAtoms(atoms, rel).map((r) => r.events))
  })

  it('never shows an atom under k, and shows an atom only at k + GATE_MARGIN released people or more', () => {
    const released = releaseAtoms(Array.from({ length: 400 }, (_, i) => atom(`c${i}`, 4 + (i % 12))), rel)
    for (const r of released) {
      if (r.atom.people < rel.k) expect(r.shown).toBe(false)
      if (r.shown) expect(r.people).toBeGreaterThanOrEqual(rel.k + GATE_MARGIN)
      else expect([r.people, r.events]).toEqual([0, 0])
    }
    expect(released.some((r) => r.shown)).toBe(true)
    expect(released.some((r) => !r.shown && r.atom.people >= rel.k)).toBe(true)
  })

  it('draws each atom on its own: the same cell on another day or period is another draw', () => {
    const [a, b, c] = releaseAtoms([atom('x', 500), atom('x', 500, 1000, 'day-2'), { ...atom('x', 500), period: 101 }], rel)
    expect(new Set([a!.events, b!.events, c!.events]).size).toBeGreaterThan(1)
  })

  it('without a key, shows exact figures at k', () => {
    const [under, at] = releaseAtoms([atom('a', 4), atom('b', 5)], { ...rel, key: null })
    expect(under).toMatchObject({ shown: false, people: 0, events: 0 })
    expect(at).toMatchObject({ shown: true, people: 5, events: 10 })
  })

  it('needs min_orgs_per_cell organisations when set', () => {
    const [few, many] = releaseAtoms([{ ...atom('a', 500), orgs: 2 }, { ...atom('b', 500), orgs: 3 }], { ...rel, minOrgs: 3 })
    expect([few!.shown, many!.shown]).toEqual([false, true])
  })
})

describe('figures', () => {
  it('sum shown atoms only; a hidden atom only says that something is hidden', () => {
    const released = releaseAtoms([atom('a', 500), atom('b', 2)], rel)
    const f = emptyFigure()
    for (const r of released) addTo(f, r)
    expect(f).toMatchObject({ people: released[0]!.people, events: released[0]!.events, shown: 1, hidden: 1 })
    const p = emptyFigure()
    for (const r of released) addPeople(p, r)
    expect(p).toMatchObject({ people: released[0]!.people, shown: 0, hidden: 0 })
  })
})
