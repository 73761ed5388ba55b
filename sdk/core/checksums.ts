// Check digits that tell an IBAN (ISO 13616, mod 97) or a card number (Luhn) from any other run
// of characters, so free text loses these and keeps order numbers of the same length.

/** Luhn over a string of 13-19 digits. */
export function isLuhn(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19 || !/^\d+$/.test(digits)) return false
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

/** ISO 13616: country, check digits, 11-30 alphanumerics; valid when the number mod 97 is 1. */
export function isIbanCompact(s: string): boolean {
  const iban = s.toUpperCase()
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false
  const moved = iban.slice(4) + iban.slice(0, 4)
  let rest = 0
  for (const ch of moved) {
    const code = ch.charCodeAt(0)
    const value = code >= 65 ? code - 55 : code - 48
    rest = value >= 10 ? (rest * 100 + value) % 97 : (rest * 10 + value) % 97
  }
  return rest === 1
}

/** A written IBAN in any grouping (spaces, dots, dashes) or case: its longest valid prefix. */
export function ibanLength(candidate: string): number {
  let compact = ''
  const ends: number[] = []
  for (let i = 0; i < candidate.length && compact.length < 34; i++) {
    const ch = candidate[i]!
    if (/[A-Za-z0-9]/.test(ch)) {
      compact += ch
      ends.push(i + 1)
    }
  }
  for (let n = compact.length; n >= 15; n--) if (isIbanCompact(compact.slice(0, n))) return ends[n - 1]!
  return 0
}

/** Replaces every valid IBAN in `text`; the candidates are found by `re` (global). */
export function replaceIbans(text: string, re: RegExp, placeholder: string): string {
  return text.replace(re, (m) => {
    const n = ibanLength(m)
    return n > 0 ? placeholder + m.slice(n) : m
  })
}

/** Replaces a card number (13-19 digits, any separators, Luhn-valid) inside each candidate. */
export function replaceCards(text: string, re: RegExp, placeholder: string): string {
  return text.replace(re, (m) => {
    const positions: number[] = []
    for (let i = 0; i < m.length; i++) if (m.charCodeAt(i) >= 48 && m.charCodeAt(i) <= 57) positions.push(i)
    const digits = positions.map((p) => m[p]).join('')
    // Longest Luhn-valid window first, from every start: a card glued to other digits is found too.
    for (let len = Math.min(19, digits.length); len >= 13; len--) {
      for (let start = 0; start + len <= digits.length; start++) {
        if (isLuhn(digits.slice(start, start + len))) {
          return m.slice(0, positions[start]) + placeholder + m.slice(positions[start + len - 1]! + 1)
        }
      }
    }
    return m
  })
}
