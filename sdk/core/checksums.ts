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

// The length of each country's IBAN (the SWIFT IBAN registry): a candidate is checked at that
// one length, so that a sentence such as `on 2026-11-30 fixed ...` cannot pass mod 97 at one of
// twenty lengths by chance (it did, one text in five), and each check costs one pass.
const IBAN_LENGTHS: Record<string, number> = Object.fromEntries(
  ('AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30')
    .split(' ')
    .map((e) => [e.slice(0, 2), Number(e.slice(2))]),
)

/** A written IBAN in any grouping (spaces, dots, dashes) or case: its length in `candidate`, or 0. */
export function ibanLength(candidate: string): number {
  const want = IBAN_LENGTHS[candidate.slice(0, 2).toUpperCase()]
  if (want === undefined) return 0
  let compact = ''
  for (let i = 0; i < candidate.length; i++) {
    const ch = candidate[i]!
    if (!/[A-Za-z0-9]/.test(ch)) continue
    compact += ch
    if (compact.length === want) return isIbanCompact(compact) ? i + 1 : 0
  }
  return 0
}

/** Replaces every valid IBAN in `text`; the candidates are found by `re` (global). */
export function replaceIbans(text: string, re: RegExp, placeholder: string): string {
  return text.replace(re, (m) => {
    const n = ibanLength(m)
    return n > 0 ? placeholder + m.slice(n) : m
  })
}

/**
 * Replaces each card number (13-19 digits, any separators, Luhn-valid) inside each candidate;
 * after a card, the rest of the candidate is searched too (`card1, card2` is one candidate once
 * commas separate groups).
 */
export function replaceCards(text: string, re: RegExp, placeholder: string): string {
  return text.replace(re, (m) => {
    const positions: number[] = []
    for (let i = 0; i < m.length; i++) if (m.charCodeAt(i) >= 48 && m.charCodeAt(i) <= 57) positions.push(i)
    const digits = positions.map((p) => m[p]).join('')
    let out = ''
    let copied = 0
    let from = 0
    while (digits.length - from >= 13) {
      const found = firstLuhn(digits, from)
      if (!found) break
      const [start, len] = found
      out += m.slice(copied, positions[start]) + placeholder
      copied = positions[start + len - 1]! + 1
      from = start + len
    }
    return out + m.slice(copied)
  })
}

// Card lengths by how common they are: a valid window of a rarer length that starts at the
// same digit is more likely a chance hit across two cards.
const CARD_LENGTHS = [16, 15, 14, 13, 19, 17, 18]

/**
 * The first Luhn-valid window of 13-19 digits from `from` on (start, length): a card glued to
 * other digits is found too. Prefix sums per parity give each window's Luhn sum in O(1) (a digit
 * is doubled when its distance to the window's last digit is odd), so a candidate costs one pass.
 */
function firstLuhn(digits: string, from: number): [number, number] | undefined {
  const n = digits.length
  // plain[p][i], doubled[p][i]: sums over digits before i whose index has parity p.
  const plain = [new Array<number>(n + 1).fill(0), new Array<number>(n + 1).fill(0)]
  const doubled = [new Array<number>(n + 1).fill(0), new Array<number>(n + 1).fill(0)]
  for (let i = 0; i < n; i++) {
    const d = digits.charCodeAt(i) - 48
    for (const p of [0, 1]) {
      plain[p]![i + 1] = plain[p]![i]! + (i % 2 === p ? d : 0)
      doubled[p]![i + 1] = doubled[p]![i]! + (i % 2 === p ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : 0)
    }
  }
  for (let start = from; start + 13 <= n; start++) {
    for (const len of CARD_LENGTHS) {
      const end = start + len
      if (end > n) continue
      const last = (end - 1) % 2
      const sum = plain[last]![end]! - plain[last]![start]! + doubled[1 - last]![end]! - doubled[1 - last]![start]!
      if (sum % 10 === 0) return [start, len]
    }
  }
  return undefined
}
