// Scrubbing of free text and paths (PRIVACY.md 5), shared by the server and the on-prem SDK:
// the rules live in free-text.ts (normalise, then detect) and normalise-path.ts; this file keeps
// the names both sides import.
import { scrubFreeText } from './free-text.ts'

export { normalisePath, routeTemplate } from './normalise-path.ts'
export { normaliseText, scrubFreeText } from './free-text.ts'

/** Replaces personal data in a string by placeholders such as `[email]`. Pure and idempotent. */
export function scrubText(text: string): string {
  return scrubFreeText(text)
}

/**
 * Scrubs at most the first `maxChars` characters of a text of any length. The head ends before
 * its last word, which the cut may have split: a cut e-mail address would not be recognised.
 */
export function scrubHead(text: string, maxChars: number): string {
  const head = text.length > maxChars ? text.slice(0, maxChars).replace(/\S*$/, '…') : text
  return scrubText(head)
}
