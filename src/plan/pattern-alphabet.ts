// What characters a `token` prop's pattern can let through (issue 25): a pattern may only narrow
// the token shape, so the plan check refuses one that admits a character no token has (a space,
// `,`, `+`, `/`, `@`, any character at all). A small reader of JavaScript's regular expression
// syntax (without flags, as compile-plan.ts builds them); what it does not know, it refuses.

/** The characters of a token (sdk/core/shapes.ts TOKEN_PATTERN): letters, digits, _ . : - */
const isTokenChar = (c: number) => (c >= 48 && c <= 58) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45

const show = (c: number) => (c === 32 ? 'a space' : c < 32 || c === 127 ? `\\x${c.toString(16).padStart(2, '0')}` : `"${String.fromCharCode(c)}"`)

/** Control escapes: each stands for one character no token has. */
const CONTROL = new Set(['n', 'r', 't', 'v', 'f', '0', 'c'])

/**
 * What the pattern admits besides token characters, as phrases for a message (`a space`, `","`,
 * `any character (.)`); empty when every character it can consume is a token character.
 * Lookarounds are skipped: they consume nothing, so they can only narrow.
 */
export function foreignCharacters(pattern: string): string[] {
  const found = new Set<string>()
  const charAt = (i: number) => pattern.charCodeAt(i)
  const literal = (c: number) => void (isTokenChar(c) || found.add(show(c)))
  let lookaround = 0 // depth inside (?= (?! (?<= (?<!
  const groups: boolean[] = [] // per open group: is it a lookaround
  let i = 0
  while (i < pattern.length) {
    const ch = pattern[i]!
    if (ch === '\\') {
      i = escape(pattern, i + 1, lookaround > 0 ? () => {} : literal, lookaround > 0 ? undefined : found)
      continue
    }
    if (ch === '[') {
      i = charClass(pattern, i + 1, lookaround > 0 ? () => {} : literal, lookaround > 0 ? undefined : found)
      continue
    }
    if (ch === '(') {
      const look = /^\(\?(?:=|!|<=|<!)/.test(pattern.slice(i, i + 4))
      groups.push(look)
      if (look) lookaround++
      const named = /^\(\?(?::|=|!|<=|<!|<[A-Za-z_$][\w$]*>)/.exec(pattern.slice(i))
      i += named ? named[0].length : 1
      continue
    }
    if (ch === ')') {
      if (groups.pop()) lookaround--
      i++
      continue
    }
    if (ch === '{') {
      const q = /^\{\d+(?:,\d*)?\}/.exec(pattern.slice(i))
      if (q) {
        i += q[0].length
        continue
      }
    }
    if ('|^$*+?'.includes(ch)) {
      i++
      continue
    }
    if (lookaround === 0) {
      if (ch === '.') found.add('any character (.)')
      else literal(charAt(i))
    }
    i++
  }
  return [...found]
}

/** One escape after a backslash at `i`; returns the index after it. */
function escape(p: string, i: number, literal: (c: number) => void, found: Set<string> | undefined): number {
  const c = p[i]
  if (c === undefined) return i
  if (c === 'd' || c === 'w' || c === 'b' || c === 'B') return i + 1
  if (c === 's') return found?.add('spaces (\\s)'), i + 1
  if (c === 'S' || c === 'W' || c === 'D') return found?.add(`any character but some (\\${c})`), i + 1
  if (c >= '1' && c <= '9') return i + 1 // a back reference repeats a group already read
  if (c === 'k' && p[i + 1] === '<') return p.indexOf('>', i) + 1 || p.length
  const hex = c === 'x' ? /^x([0-9a-fA-F]{2})/.exec(p.slice(i)) : c === 'u' ? /^u([0-9a-fA-F]{4})/.exec(p.slice(i)) : null
  if (hex) {
    literal(parseInt(hex[1]!, 16))
    return i + hex[0].length
  }
  if (CONTROL.has(c)) return found?.add(`a control character (\\${c})`), i + 1
  literal(p.charCodeAt(i))
  return i + 1
}

/** A character class after `[` at `i`; returns the index after its `]`. */
function charClass(p: string, i: number, literal: (c: number) => void, found: Set<string> | undefined): number {
  if (p[i] === '^') {
    // A negated class admits everything it does not list: its members say nothing more.
    found?.add('any character not listed ([^...])')
    found = undefined
    literal = () => {}
    i++
  }
  while (i < p.length && p[i] !== ']') {
    let c: number
    if (p[i] === '\\') {
      const e = p[i + 1]
      if (e === 'd' || e === 'w' || e === 's' || e === 'S' || e === 'W' || e === 'D') {
        i = escape(p, i + 1, literal, found)
        continue
      }
      // Inside a class \b is a backspace.
      if (e === 'b') {
        found?.add('a control character (\\b)')
        i += 2
        continue
      }
      let one = -1
      i = escape(p, i + 1, (x) => void (one = x), found)
      if (one < 0) continue
      c = one
    } else c = p.charCodeAt(i++)
    if (p[i] === '-' && p[i + 1] !== ']' && p[i + 1] !== undefined) {
      // A range start: read its end, then every character between.
      let end: number
      if (p[i + 1] === '\\') {
        let one = -1
        i = escape(p, i + 2, (x) => void (one = x), found)
        end = one
      } else {
        end = p.charCodeAt(i + 1)
        i += 2
      }
      for (let x = c; x <= end; x++) literal(x)
      continue
    }
    literal(c)
  }
  return i + 1
}
