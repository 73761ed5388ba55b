// Scrubbing of free text (PRIVACY.md 5), shared by the server and the on-prem SDK: personal data
// becomes a placeholder such as [email]. Order matters: URLs and e-mails first (they contain
// digits and dots), long digit runs last.

const RULES: readonly [RegExp, string | ((m: string, ...g: string[]) => string)][] = [
  // A URL keeps scheme, host and path; the query string and fragment carry tokens and ids.
  [/\b((?:https?|ftp):\/\/[^\s?#]+)[?#][^\s]*/gi, (_m, base: string) => `${base}[query]`],
  // The lookbehind starts a match only where a run of address characters starts, so a long
  // run without an @ costs one pass, not one per position (which made scrubbing quadratic).
  [/(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, '[email]'],
  // IBAN: two letters, two check digits, 11-30 alphanumerics, optionally grouped by spaces.
  [/\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b/g, '[iban]'],
  // IPv4; IPv6 with six or more groups (MAC addresses too), or compressed with "::". Times
  // and ratios such as 12:30:00 or 3:2:1 have neither.
  [/\b(?:\d{1,3}\.){3}\d{1,3}\b/g, '[ip]'],
  [/\b(?:(?:[0-9a-f]{1,4}:){5,7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,7}(?::[0-9a-f]{1,4}){1,7}|(?:[0-9a-f]{1,4}:){1,7}:)(?:\/\d{1,3})?/gi, '[ip]'],
  // Card numbers: 13-19 digits, grouped by spaces or dashes.
  [/\b\d{4}(?:[ -]?\d{4}){2}(?:[ -]?\d{1,4}){1,2}\b/g, '[card]'],
  // Phone numbers: an optional +country, then 7+ digits with separators; or a trunk-prefixed
  // area code (089/1234567); or the North American (555) 123-4567 and 555-123-4567.
  [/(?:\+|\b00)\d{1,3}[ ./-]?(?:\(?\d{1,5}\)?[ ./-]?){2,6}\d{2,}|\(?\b0\d{2,5}\)?[ ./-]\d{3,}(?:[ ./-]\d{2,})*|\(\d{3}\) ?\d{3}[ .-]\d{4}\b|\b\d{3}[.-]\d{3}[.-]\d{4}\b/g, '[phone]'],
  // Any remaining run of 6 or more digits (customer numbers, personnel numbers, ...).
  [/(?<!\d)\d{6,}/g, '[number]'],
]

const MAY_MATCH = /[\d@:]/

/** Replaces personal data in a string by placeholders. Pure and idempotent. */
export function scrubText(text: string): string {
  // Every rule needs a digit, an @ or a colon (URLs, IPv6): most labels and names have none.
  if (!MAY_MATCH.test(text)) return text
  let out = text
  for (const [re, replacement] of RULES) {
    out = out.replace(re, replacement as string)
  }
  return out
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const EMAIL = /^[^@\s]+@[^@\s]+$/
const HEXISH = /^[0-9a-f]{16,}$/i
const DIGITS = /\d/
const DIGIT_OR_AT = /[\d@]/
const QUERY_OR_FRAGMENT = /[?#]/

/** A path segment that identifies a record or a person rather than a page. */
function isIdLike(segment: string): boolean {
  // Every shape below needs a digit or an @, or is at least 16 characters long.
  if (segment.length < 16 && !DIGIT_OR_AT.test(segment)) return false
  if (/^\d+$/.test(segment)) return true
  if (UUID.test(segment) || EMAIL.test(segment) || HEXISH.test(segment)) return true
  // Long mixed tokens (e.g. base64 ids, order numbers like AB-2024-000123).
  return segment.length >= 12 && DIGITS.test(segment) && /^[A-Za-z0-9_-]+$/.test(segment)
}

/**
 * A path without query string and fragment, with id-like segments as `:id` (PRIVACY.md 5).
 * Accepts full URLs too and keeps only their path.
 */
export function normalisePath(input: string): string {
  let path = input.trim()
  const scheme = path.startsWith('/') ? null : /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(path)
  if (scheme) path = path.slice(scheme[0].length)
  const end = QUERY_OR_FRAGMENT.exec(path)?.index
  if (end !== undefined) path = path.slice(0, end)
  if (!path.startsWith('/')) path = '/' + path
  let decoded = path
  if (path.includes('%')) {
    try {
      decoded = decodeURIComponent(path)
    } catch {
      // a stray % that starts no escape: the path as it is
    }
  }
  const segments = decoded.split('/')
  // Scrub only where a kept segment could start a match: the ":id" placeholders cannot (their
  // colon follows a slash and precedes "id"), and most page paths are then left with none.
  let mayMatch = false
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!
    if (s && isIdLike(s)) segments[i] = ':id'
    else if (!mayMatch && MAY_MATCH.test(s)) mayMatch = true
  }
  const normalised = segments.join('/')
  return mayMatch ? scrubText(normalised) : normalised
}

/**
 * Scrubs at most the first `maxChars` characters of a text of any length. The head ends before
 * its last word, which the cut may have split: a cut e-mail address would not be recognised.
 */
export function scrubHead(text: string, maxChars: number): string {
  const head = text.length > maxChars ? text.slice(0, maxChars).replace(/\S*$/, '…') : text
  return scrubText(head)
}
