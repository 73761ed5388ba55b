// Free text, scrubbed seriously (PRIVACY.md 5, 12): normalised first so that disguises fall away
// (NFKC, zero-width characters, percent escapes, HTML entities), then each kind of personal data
// is found and replaced by a placeholder. Shared by the server and the on-prem SDK; the browser
// SDK does not scrub and never imports this file (it would pull libphonenumber-js's metadata).
import { decodeHTML } from 'entities'
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js/min'
import { replaceCards, replaceIbans } from './checksums.ts'
import { ISO_3166_1 } from './iso-codes.ts'

const ZERO_WIDTH = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g

function percentDecode(s: string): string {
  return s.replace(PERCENT_RUN, (m) => {
    try {
      return decodeURIComponent(m)
    } catch {
      // Not UTF-8: decode the ASCII escapes only (%40 is the one that hides an address).
      return m.replace(/%([0-7][0-9A-Fa-f])/g, (_e, h: string) => String.fromCharCode(parseInt(h, 16)))
    }
  })
}

/** Disguises removed, until stable (a double-encoded `%2540` takes two rounds). */
export function normaliseText(text: string): string {
  let s = text
  for (let round = 0; round < 4; round++) {
    let next = s.normalize('NFKC').replace(ZERO_WIDTH, '')
    if (next.includes('%')) next = percentDecode(next)
    if (next.includes('&')) next = decodeHTML(next)
    if (next === s) break
    s = next
  }
  return s.replace(ZERO_WIDTH, '')
}

// Written as "at"/"dot" in brackets or spelled out between spaces (`jane [at] example [dot] com`).
const AT = String.raw`(?:\s*@\s*|\s*[\[({<]\s*(?:at|ät|@)\s*[\])}>]\s*|\s+(?:at|ät)\s+|\s*[-_]at[-_]\s*)`
const DOT = String.raw`(?:\.|\s*[\[({<]\s*(?:dot|punkt|point|\.)\s*[\])}>]\s*|\s+(?:dot|punkt)\s+|[-_]dot[-_])`
const LOCAL = String.raw`[\p{L}\p{N}_%+'-]+(?:${DOT}[\p{L}\p{N}_%+'-]+)*`
const EMAIL = new RegExp(String.raw`(?<![\p{L}\p{N}._%+'-])${LOCAL}${AT}[\p{L}\p{N}-]+(?:${DOT}[\p{L}\p{N}-]+)*${DOT}\p{L}{2,24}\b`, 'giu')
// Cheap tests that tell whether the expensive patterns can match at all: most text has no @, no
// spelled-out "at", no word glued to a dot (a 2,000-character text took 1 ms per pattern).
const MAY_BE_EMAIL = /[@]|[\[({<]\s*(?:at|ät)\s*[\])}>]|[-_]at[-_]|\s(?:at|ät)\s+[\p{L}\p{N}-]+(?:\s*[\[({<]?\s*(?:dot|punkt|point)\b|\.\p{L})/iu
const MAY_BE_HOST = /[a-z0-9]\.[a-z]/i
// A bare @ with something on both sides (`jane@intranet`), whatever follows.
const AT_WORD = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}._-]+/gu
// A handle (`@jroe`) names a person as well as an address does.
const HANDLE = /(?<![\p{L}\p{N}._%+-])@[\p{L}\p{N}_.-]{2,}/gu

// Generic TLDs, the names of private networks, and every country code (`Node.js` is no host).
const TLDS = `com|net|org|edu|gov|mil|int|io|info|biz|app|dev|ai|co|me|eu|uk|xyz|cloud|online|site|tech|shop|store|local|lan|internal|intranet|corp|home|example|test|invalid|localhost|${ISO_3166_1.toLowerCase().replace(/ /g, '|')}`
const URL_WITH_SCHEME = /\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s<>"']+/gi
const HOST = new RegExp(String.raw`\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:${TLDS})\b(?::\d{1,5})?(?:/[^\s<>"']*)?`, 'gi')
const WWW = /\bwww\.[^\s<>"']+/gi

const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*)?/g
const KEY_PREFIXES = /\b(?:(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{6,}|AKIA[0-9A-Z]{12,}|ASIA[0-9A-Z]{12,}|gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{16,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{20,}|npm_[A-Za-z0-9]{20,}|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,})/g
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g
// A long run of letters and digits mixed (a key, a hash, a session id): at least 20 characters
// of [A-Za-z0-9_+/=-] holding both letters and digits; words and numbers alone are left.
const LONG_RUN = /(?<![A-Za-z0-9_+/=-])[A-Za-z0-9_+/=-]{20,}/g
// Hex of 17+ (session ids, digests); 16 is Veil's own crash fingerprint, which the on-prem SDK
// sends through these rules as a prop.
const HEX_RUN = /\b[0-9a-f]{17,}\b/gi

const IPV4 = /\b(?:\d{1,3}[.-]){3}\d{1,3}\b/g
const IPV6 = /\b(?:(?:[0-9a-f]{1,4}:){5,7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,7}(?::[0-9a-f]{1,4}){1,7}|(?:[0-9a-f]{1,4}:){1,7}:)(?:\/\d{1,3})?/gi

const IBAN_CANDIDATE = /\b[A-Za-z]{2}\s?\d{2}(?:[ .-]?[A-Za-z0-9]){11,32}/g
const CARD_CANDIDATE = /\d(?:[ ._/\\-]{0,3}\d){12,18}/g

// Tax and social-security ids: US SSN and EIN, UK NI number, EU VAT numbers, German tax number,
// Indian PAN, French NIR (digit runs catch the rest, such as the 11-digit German tax id).
const TAX_IDS = /\b\d{3}-\d{2}-\d{4}\b|\b\d{2}-\d{7}\b|\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b|\b(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|GB|CHE)[-\s]?(?:U|[0-9A-Z]{2})?\d{7,12}(?:B\d{2})?\b|\b\d{2,3}\/\d{3,4}\/\d{4,5}\b|\b[A-Z]{5}\d{4}[A-Z]\b|\b[12]\s?\d{2}\s?\d{2}\s?\d{2}\s?\d{3}\s?\d{3}(?:\s?\d{2})?\b/g

// Countries whose national formats are tried besides numbers written with their +prefix.
const PHONE_COUNTRIES: CountryCode[] = ['DE', 'US', 'GB', 'FR', 'IT', 'ES', 'NL', 'AT', 'CH', 'PL', 'SE', 'BR', 'IN', 'JP', 'CN', 'AU', 'MX', 'RU', 'TR']
// Whatever libphonenumber-js leaves: seven or more digits held together by phone punctuation.
const PHONE_SHAPE = /(?:\+|\b00)?\(?\d(?:[\d\s().\/-]{0,3}\d){6,}/g
const DIGIT_RUN = /(?<!\d)\d{5,}/g
const DIGIT = /\d/g

function replaceIf(text: string, re: RegExp, test: (m: string) => boolean, placeholder: string): string {
  return text.replace(re, (m) => (test(m) ? placeholder : m))
}

function countDigits(s: string): number {
  return s.match(DIGIT)?.length ?? 0
}

// Dates and dotted versions are not phone numbers: ISO dates, 30.11.2026, 4.2.1.12 (a group of
// one digit after the first is a version; phone groups have two or more).
const NOT_A_PHONE = /^(?:\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,4}(?:\.\d{1,6})*\.\d(?:\.\d{1,6})*)$/

function isPhoneLike(m: string, minDigits = 7): boolean {
  return countDigits(m) >= minDigits && !NOT_A_PHONE.test(m.trim())
}

// Where a number the generic shape left can be: five or more digits held together by phone
// punctuation (a contiguous run is left to the digit-run rule). libphonenumber-js reads only
// these windows, at most MAX_WINDOWS of them (each costs ~20 lookups of ~0.1 ms), so prose
// without numbers costs nothing.
const NUMBER_WINDOW = /(?:\+|\b00)?[(\d][\d\s().\/-]{3,}\d/g
const MAX_WINDOWS = 4

function scrubPhones(text: string): string {
  if (countDigits(text) < 5) return text
  const spans: [number, number][] = []
  let windows = 0
  for (const w of text.matchAll(NUMBER_WINDOW)) {
    if (countDigits(w[0]) < 5 || /^\d+$/.test(w[0]) || ++windows > MAX_WINDOWS) continue
    const from = Math.max(0, w.index - 4)
    const window = text.slice(from, w.index + w[0].length + 4)
    for (const country of [undefined, ...PHONE_COUNTRIES]) {
      for (const found of findPhoneNumbersInText(window, country ? { defaultCountry: country } : undefined)) {
        if (!isPhoneLike(window.slice(found.startsAt, found.endsAt), 5)) continue
        // A country code the library left outside its match (`+1 (555) ...`) goes with it.
        const before = /\+\d{1,3}\s*$/.exec(window.slice(0, found.startsAt))
        spans.push([from + found.startsAt - (before ? before[0].length : 0), from + found.endsAt])
      }
    }
  }
  if (spans.length === 0) return text
  spans.sort((a, b) => a[0] - b[0])
  let out = ''
  let at = 0
  for (const [start, end] of spans) {
    // Overlapping finds (one number read under two countries) extend one placeholder.
    if (start < at) at = Math.max(at, end)
    else {
      out += text.slice(at, start) + '[phone]'
      at = end
    }
  }
  return out + text.slice(at)
}

/** Replaces personal data in free text by placeholders such as `[email]`. Idempotent. */
export function scrubFreeText(input: string): string {
  let s = normaliseText(input)
  s = s.replace(PRIVATE_KEY, '[secret]')
  s = s.replace(URL_WITH_SCHEME, '[url]')
  if (MAY_BE_EMAIL.test(s)) s = s.replace(EMAIL, '[email]').replace(AT_WORD, '[email]').replace(HANDLE, '[handle]')
  s = s.replace(JWT, '[token]').replace(KEY_PREFIXES, '[secret]')
  if (MAY_BE_HOST.test(s)) s = s.replace(WWW, '[url]').replace(HOST, '[url]')
  s = s.replace(IPV4, '[ip]').replace(IPV6, '[ip]')
  s = replaceIbans(s, IBAN_CANDIDATE, '[iban]')
  s = replaceCards(s, CARD_CANDIDATE, '[card]')
  s = s.replace(TAX_IDS, '[taxid]')
  s = replaceIf(s, LONG_RUN, (m) => /[A-Za-z]/.test(m) && /\d/.test(m), '[secret]')
  s = replaceIf(s, HEX_RUN, (m) => /\d/.test(m), '[secret]')
  // A generic shape first (seven or more digits in phone punctuation: any country, fictional and
  // new ranges too), then libphonenumber-js for the shorter national numbers it leaves.
  // A bare run of digits without a trunk 0 is left to the digit-run rule: `[number]` either way.
  s = replaceIf(s, PHONE_SHAPE, (m) => isPhoneLike(m) && !/^[1-9]\d*$/.test(m), '[phone]')
  s = scrubPhones(s)
  return s.replace(DIGIT_RUN, '[number]')
}
