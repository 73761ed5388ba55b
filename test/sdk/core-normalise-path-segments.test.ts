// isIdSegment's character loop against the rules it replaced, written as regexes, and the segment
// walk of normalisePath against the split and join it replaced (the references below): the same
// answers on every kind of segment and path, generated around each rule's edges.
import { describe, expect, it } from 'vitest'
import { isIdSegment, normalisePath } from '../../sdk/core/normalise-path.ts'
import { seededRandom } from '../support/seeded-random.ts'

/** The rules as regexes, as they stood before the character loop (a page file judged by its name). */
function referenceLooksLikeId(file: string): boolean {
  const segment = file.replace(/\.(?:html?|php|aspx|jsp)$/i, '')
  if (segment.length > 40) return true
  if (/[^\x20-\x7e]|[;=@~+,$!'()*:%]/.test(segment)) return true
  if (/\d/.test(segment)) return true
  if (segment.includes('.')) return true
  if (/^(?:eyJ|[A-Za-z0-9+/_-]{16,}={0,2}$)/.test(segment) && !/^[a-z_-]+$/.test(segment)) return true
  return !/^[A-Za-z_-]+$/.test(segment)
}


// Every printable ASCII character, controls, DEL and a few beyond ASCII; letters weigh more, so
// that plain words and base64-like runs of every length come up often.
const ASCII = Array.from({ length: 96 }, (_, i) => String.fromCharCode(0x20 + i))
const ALPHABET = [...ASCII, '\t', '\u0000', '\u007f', '\u0080', '\u00e9', '\uff21', '\ud800']
const LETTERS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-']
const LOWER = [...'abcdefghijklmnopqrstuvwxyz_-']

describe('isIdSegment without a collection before it', () => {
  it.each(['', 'a', 'view', 'Settings', 'eyJ', 'eyJhbGciOiJub25lIn0', 'eyj', 'abcdefghijklmnop', 'abcdefghijklmnoP', 'abcdefghijklmnO', 'x'.repeat(40), 'x'.repeat(41), 'a b', 'a=b', '~u', 'a.b', 'A7X9K2', 'dXRlLmxlbnpAZmlybWEuY29t', 'a/b', 'a?b', 'café', 'über', 'index.html', 'a.b.html', '.html', 'x7.php', 'page.HTM'])('%j as the reference rules judge it', (segment) => {
    expect(isIdSegment(segment, undefined)).toBe(referenceLooksLikeId(segment))
  })

  it('agrees with the reference rules on 50k generated segments', () => {
    const next = seededRandom(15)
    const pick = (xs: readonly string[]) => xs[Math.floor(next() * xs.length)]!
    let ids = 0
    let pages = 0
    for (let n = 0; n < 50_000; n++) {
      const kind = next()
      const pool = kind < 0.3 ? LOWER : kind < 0.7 ? LETTERS : ALPHABET
      const length = Math.floor(next() * 45)
      let s = kind > 0.9 ? 'eyJ' : ''
      while (s.length < length) s += pick(next() < 0.05 ? ALPHABET : pool)
      // Run twice: the second call may answer from the remembered page words.
      const expected = referenceLooksLikeId(s)
      expect(isIdSegment(s, undefined), JSON.stringify(s)).toBe(expected)
      expect(isIdSegment(s, undefined), JSON.stringify(s)).toBe(expected)
      if (expected) ids++
      else pages++
    }
    // Both verdicts came up thousands of times, so the comparison means something.
    expect(ids).toBeGreaterThan(5000)
    expect(pages).toBeGreaterThan(5000)
  })
})

/** normalisePath's segment walk as it stood: split, judge each segment, join. */
function referenceSegments(path: string): string {
  const out: string[] = []
  let previous: string | undefined
  for (const raw of path.split('/')) {
    const segment = raw.trim()
    if (segment === '' || segment === '.' || segment === '..') continue
    out.push(isIdSegment(segment, previous) ? ':id' : segment)
    previous = segment
  }
  return '/' + out.join('/')
}

describe('normalisePath segment by segment', () => {
  it.each(['', '/', '//', '/a/', '/a//b', '/./a/../b/', '/ a / b ', '/users/Jane/edit', '/users/settings/x', '/u/a/b/c'])('%j as split and join gave it', (path) => {
    expect(normalisePath(path.startsWith('//') ? path.slice(1) : path)).toBe(referenceSegments(path.startsWith('//') ? path.slice(1) : path))
  })

  it('agrees with split and join on 20k generated paths', () => {
    const next = seededRandom(16)
    const pick = (xs: readonly string[]) => xs[Math.floor(next() * xs.length)]!
    // Paths with nothing to cut or decode (no origin, query, fragment, escape, ; or \\), so that
    // only the segment walk is compared; its rules are covered by the other tests.
    const pieces = ['', '.', '..', ' ', 'users', 'u', 'Users', 'search', 'settings', 'new', 'view', 'reports', '4711', 'A7X9K2', 'jane.roe', 'eyJhbGciOiJub25lIn0', 'x'.repeat(41), ' padded ', 'a b', 'café', '~jroe', 'a=b']
    for (let n = 0; n < 20_000; n++) {
      let path = '/' + pick(pieces.filter((p) => p !== '' && p !== ' ' && !p.startsWith(' ')))
      for (let k = Math.floor(next() * 6); k > 0; k--) path += '/' + pick(pieces)
      expect(normalisePath(path), JSON.stringify(path)).toBe(referenceSegments(path.trim()))
    }
  })
})
