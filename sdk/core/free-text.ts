// Free text, scrubbed seriously (PRIVACY.md 5, 12): normalised first so that disguises fall away
// (NFKC, zero-width characters, percent escapes, HTML entities), then each kind of personal data
// is found and replaced by a placeholder. Shared by the server and the on-prem SDK; the browser
// SDK does not scrub and never imports this file.
import { decodeHTML } from 'entities'
import { replaceCards, replaceIbans } from './checksums.ts'
import { replaceEmails } from './text-email.ts'
import { replaceHostNames, replacePersonalRecords, replaceSecretsAndPaths } from './text-detectors.ts'

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

// Decimal digits of every script (Arabic-Indic, Devanagari, Bengali, ...) as ASCII digits, so
// that a phone or an IBAN written in them meets the same rules. NFKC leaves these alone; each
// script's ten digits are consecutive code points, so a digit's value is its distance from the
// first of its run of ten (runs of more than ten, the mathematical digits, NFKC has folded).
const OTHER_DIGIT = /(?![0-9])\p{Nd}/gu
const ND = /^\p{Nd}$/u
const DIGIT_VALUES = new Map<string, string>()

function asciiDigit(d: string): string {
  let v = DIGIT_VALUES.get(d)
  if (v === undefined) {
    const c = d.codePointAt(0)!
    let zero = c
    while (c - zero < 9 && ND.test(String.fromCodePoint(zero - 1))) zero--
    v = String((c - zero) % 10)
    if (DIGIT_VALUES.size < 1000) DIGIT_VALUES.set(d, v)
  }
  return v
}

/**
 * Disguises removed, until stable (a double-encoded `%2540` takes two rounds): Unicode NFKC,
 * zero-width characters, percent escapes, HTML entities, and digits of other scripts as ASCII.
 * Text limits apply to this form (textLimitProblem), since NFKC can make a text 18 times longer.
 */
export function normaliseText(text: string): string {
  let s = text
  for (let round = 0; round < 4; round++) {
    let next = s.normalize('NFKC').replace(ZERO_WIDTH, '')
    if (next.includes('%')) next = percentDecode(next)
    if (next.includes('&')) next = decodeHTML(next)
    if (next === s) break
    s = next
  }
  s = s.replace(ZERO_WIDTH, '')
  return /[^\x00-\x7F]/.test(s) ? s.replace(OTHER_DIGIT, asciiDigit) : s
}

/** UTF-8 bytes of a string (surrogate pairs as 4), without encoding it. */
export function utf8Bytes(s: string): number {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x800 && (c < 0xd800 || c > 0xdfff)) n += 2
    else if (c >= 0x80) n += 1
  }
  return n
}

/**
 * Why a text is too long for a limit of `maxChars`, measured on its normalised form (NFKC and
 * the rest of normaliseText): characters (UTF-16 units) and UTF-8 bytes, at most 3 per character
 * (what any well-formed text of maxChars characters takes). Undefined when it fits.
 */
export function textLimitProblem(text: string, maxChars: number): string | undefined {
  if (text.length > maxChars) return `is longer than ${maxChars} characters`
  const normal = normaliseText(text)
  if (normal.length > maxChars) return `is longer than ${maxChars} characters once normalised (NFKC)`
  if (utf8Bytes(normal) > maxChars * 3) return `is longer than ${maxChars * 3} bytes once normalised (NFKC)`
  return undefined
}

// A bare @ with something on both sides (`jane@intranet`), whatever follows.
const AT_WORD = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}._-]+/gu
// A handle (`@jroe`) names a person as well as an address does.
const HANDLE = /(?<![\p{L}\p{N}._%+-])@[\p{L}\p{N}_.-]{2,}/gu
// Spelled-out forms need the word "at" somewhere; a text without either form skips the reader.
const MAY_BE_EMAIL = /@|(?<![\p{L}])(?:at|ät)(?![\p{L}])/iu

const URL_WITH_SCHEME = /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{1,15}:\/\/[^\s<>"']+/gi
const WWW = /(?<![\w.-])www\.[^\s<>"']+/gi

const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*)?/g
const KEY_PREFIXES = /\b(?:(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{6,}|AKIA[0-9A-Z]{12,}|ASIA[0-9A-Z]{12,}|gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{16,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{20,}|npm_[A-Za-z0-9]{20,}|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,})/g
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g
// A long run of letters and digits mixed (a key, a hash, a session id): at least 20 characters
// of [A-Za-z0-9_+/=-] holding both letters and digits; words and numbers alone are left.
const LONG_RUN = /(?<![A-Za-z0-9_+/=-])[A-Za-z0-9_+/=-]{20,}/g
// Hex of 17+ (session ids, digests); 16 is Veil's own crash fingerprint, which the on-prem SDK
// sends through these rules as a prop.
const HEX_RUN = /\b[0-9a-f]{17,}\b/gi

const IPV4 = /(?<![\d.-])(?:\d{1,3}[.-]){3}\d{1,3}(?![\d])/g
const IPV6 = /(?<![0-9a-z:])(?:(?:[0-9a-f]{1,4}:){5,7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,7}(?::[0-9a-f]{1,4}){1,7}|(?:[0-9a-f]{1,4}:){1,7}:)(?:\/\d{1,3})?/gi

const IBAN_CANDIDATE = /(?<![A-Za-z0-9])[A-Za-z]{2}\s?\d{2}(?:[ .-]?[A-Za-z0-9]){11,32}/g
// Cards in groups joined by spaces, dots, dashes (wide ones too), slashes, commas or pipes; up to
// 57 digits, so that cards listed one after another are one candidate searched to its end.
const CARD_CANDIDATE = /(?<!\d)\d(?:[ ._/\\,|\u2010-\u2015\u2212-]{0,3}\d){12,56}/g

// Tax and social-security ids: US SSN and EIN, UK NI number, EU VAT numbers, German tax number,
// Indian PAN, French NIR (digit runs catch the rest, such as the 11-digit German tax id).
const TAX_IDS = /\b\d{3}-\d{2}-\d{4}\b|\b\d{2}-\d{7}\b|\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b|\b(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|GB|CHE)[-\s]?(?:U|[0-9A-Z]{2})?\d{7,12}(?:B\d{2})?\b|\b\d{2,3}\/\d{3,4}\/\d{4,5}\b|\b[A-Z]{5}\d{4}[A-Z]\b|\b[12]\s?\d{2}\s?\d{2}\s?\d{2}\s?\d{3}\s?\d{3}(?:\s?\d{2})?\b/g

// Phones: seven or more digits held together by phone punctuation (any country, fictional and
// new ranges too); then five or six digits in groups that start like a dialled number (`+`,
// `00` or a trunk `0`). libphonenumber-js used to read what the first rule left, at up to 20
// lookups of ~0.1 ms per number: a text of numbers took 17 ms, and its finds were all in these.
const PHONE_SHAPE = /(?<![\d+])(?:\+|\b00)?\(?\d(?:[\s().\/-]{0,3}\d){6,}/g
const SHORT_PHONE = /(?<![\d+])(?:\+\d{1,3}|\(?0\d{1,4}\)?)(?:[\s./-]{1,2}\d{2,4}){1,3}(?!\d)/g
const DIGIT_RUN = /(?<!\d)\d{5,}/g
const DIGIT = /\d/g

function replaceIf(text: string, re: RegExp, test: (m: string) => boolean, placeholder: string): string {
  return text.replace(re, (m) => (test(m) ? placeholder : m))
}

function countDigits(s: string): number {
  return s.match(DIGIT)?.length ?? 0
}

// Dates, times and dotted versions are not phone numbers: ISO dates, 30.11.2026, 4.2.1.12 (a
// group of one digit after the first is a version; phone groups have two or more).
const NOT_A_PHONE = /^(?:\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,4}(?:\.\d{1,6})*\.\d(?:\.\d{1,6})*)$/

function isPhoneLike(m: string, minDigits = 7): boolean {
  return countDigits(m) >= minDigits && !NOT_A_PHONE.test(m.trim())
}

/**
 * Replaces personal data in free text by placeholders such as `[email]`. Idempotent. Every rule
 * is linear in the text (a lookbehind decides where a match may start, repetitions are bounded);
 * bench/free-text.ts measures the cost per character for ordinary and adversarial texts.
 */
export function scrubFreeText(input: string): string {
  let s = normaliseText(input)
  s = s.replace(PRIVATE_KEY, '[secret]')
  s = s.replace(URL_WITH_SCHEME, '[url]')
  s = replaceSecretsAndPaths(s)
  if (MAY_BE_EMAIL.test(s)) s = replaceEmails(s, '[email]').replace(AT_WORD, '[email]').replace(HANDLE, '[handle]')
  s = s.replace(JWT, '[token]').replace(KEY_PREFIXES, '[secret]')
  s = replaceHostNames(s.replace(WWW, '[url]'))
  s = s.replace(IPV4, '[ip]').replace(IPV6, '[ip]')
  s = replaceIbans(s, IBAN_CANDIDATE, '[iban]')
  s = replaceCards(s, CARD_CANDIDATE, '[card]')
  s = s.replace(TAX_IDS, '[taxid]')
  s = replacePersonalRecords(s)
  s = replaceIf(s, LONG_RUN, (m) => /[A-Za-z]/.test(m) && /\d/.test(m), '[secret]')
  s = replaceIf(s, HEX_RUN, (m) => /\d/.test(m), '[secret]')
  // A bare run of digits without a trunk 0 is left to the digit-run rule: `[number]` either way.
  s = replaceIf(s, PHONE_SHAPE, (m) => isPhoneLike(m) && !/^[1-9]\d*$/.test(m), '[phone]')
  s = replaceIf(s, SHORT_PHONE, (m) => isPhoneLike(m, 5), '[phone]')
  return s.replace(DIGIT_RUN, '[number]')
}
