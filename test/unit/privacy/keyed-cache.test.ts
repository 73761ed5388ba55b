// Keyed-digest caches (PRIVACY.md 15): raw inputs are never keys, and clear() makes old
// entries unreachable by drawing a new digest key.
import { describe, expect, it } from 'vitest'
import { createKeyedCache, inspectCaches } from '../../../src/privacy/keyed-cache.ts'

describe('keyed cache', () => {
  it('answers by the raw value but keeps only digests as keys', () => {
    const cache = createKeyedCache<string>('unit-a', 10)
    cache.set('jane@example.com', 'h1')
    expect(cache.get('jane@example.com')).toBe('h1')
    expect(cache.get('john@example.com')).toBeUndefined()
    const seen = inspectCaches().find((c) => c.name === 'unit-a')!
    expect(seen.keys).toHaveLength(1)
    expect(seen.keys[0]).not.toContain('jane')
    expect(seen.values).toEqual(['h1'])
  })

  it('digests the same value differently in two caches (a random key each)', () => {
    const a = createKeyedCache<string>('unit-b1', 10)
    const b = createKeyedCache<string>('unit-b2', 10)
    a.set('same', 'x')
    b.set('same', 'x')
    const keyOf = (name: string) => inspectCaches().find((c) => c.name === name)!.keys[0]
    expect(keyOf('unit-b1')).not.toBe(keyOf('unit-b2'))
  })

  it('forgets everything on clear(), and digests anew afterwards', () => {
    const cache = createKeyedCache<string>('unit-c', 10)
    cache.set('v', '1')
    const before = inspectCaches().find((c) => c.name === 'unit-c')!.keys[0]
    cache.clear()
    expect(cache.get('v')).toBeUndefined()
    expect(inspectCaches().find((c) => c.name === 'unit-c')!.keys).toEqual([])
    cache.set('v', '2')
    expect(inspectCaches().find((c) => c.name === 'unit-c')!.keys[0]).not.toBe(before)
  })

  it('holds at most its size, evicting the least recently used, also after a clear()', () => {
    const cache = createKeyedCache<string>('unit-e', 3)
    for (const round of [1, 2]) {
      for (const v of ['a', 'b', 'c']) cache.set(v, v + round)
      cache.get('a')
      cache.set('d', 'd' + round)
      expect(['a', 'b', 'c', 'd'].map((v) => cache.get(v))).toEqual([`a${round}`, undefined, `c${round}`, `d${round}`])
      expect(inspectCaches().find((c) => c.name === 'unit-e')!.keys).toHaveLength(3)
      cache.clear()
    }
  })

  it('is bounded: a cache of size 0 still works, with one entry', () => {
    const cache = createKeyedCache<string>('unit-d', 0)
    cache.set('a', '1')
    cache.set('b', '2')
    expect(cache.get('b')).toBe('2')
    expect(inspectCaches().find((c) => c.name === 'unit-d')!.keys).toHaveLength(1)
  })
})
