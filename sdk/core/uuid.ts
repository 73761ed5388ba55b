// Event ids (EVENTS.md `events[].id`): a random UUID chosen at creation, so a retried event is
// stored once. Ids are kept only as well-formed random UUIDs, v4 or v7 (issue 25): an id made of
// phone digits, repeated characters or a counter is refused by the server, and never made here.

/** The part of Web Crypto this needs; node:crypto's webcrypto and the browser's both fit. */
export interface RandomSource {
  randomUUID?: () => string
  getRandomValues(array: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer>
}

function makeUuid(c: RandomSource): string {
  if (c.randomUUID) return c.randomUUID()
  const b = c.getRandomValues(new Uint8Array(16))
  b[6] = (b[6] & 15) | 64 // version 4
  b[8] = (b[8] & 63) | 128 // RFC 4122 variant
  let h = ''
  for (let i = 0; i < 16; i++) h += (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + (b[i] + 256).toString(16).slice(1)
  return h
}

/**
 * A v4 UUID. `crypto.randomUUID` exists only in secure contexts (https, localhost), so plain-http
 * pages fall back to `getRandomValues`, which does not need one. About 4 in 10 million random
 * ids look like a number (decimal digits only), which lowEntropyId refuses: drawn again. Its
 * other rules refuse about 1 in a billion, not worth their bytes in the browser script.
 */
export function createUuid(c: RandomSource = globalThis.crypto): string {
  let id = makeUuid(c)
  while (DECIMAL_ONLY.test(id)) id = makeUuid(c)
  return id
}

const DECIMAL_ONLY = /^[\d-]+$/

// The 32 hex digits of the id being checked (one id at a time: JavaScript runs one check at once).
const NIBBLES = new Uint8Array(32)
/** v7 ids carry their creation time in ms: before 2020 or from 2100 on, it is not a time. */
const V7_FROM = 1_577_836_800_000
const V7_UNTIL = 4_102_444_800_000

/**
 * Why a UUID of version 4 or 7 (already checked for layout, version and variant) is not random
 * enough to keep, or undefined. The random digits (v4: all but the version; v7: those after the
 * time) are refused when they
 * - repeat or count: 10 or more in a row each equal to, one above or one below the one before;
 * - use few distinct digits: under 7 of the 31 of a v4, under 5 of the 19 of a v7;
 * and the id is refused when all its digits but the version are decimal (a phone or account
 * number written into an id: `01712345-6789-7...`), or when it is a v7 whose time is not
 * between 2020 and 2100. Random v4 ids are refused about 4 in 10 million times (almost all by the
 * decimal rule), v7 ids about 7 in a billion while their time holds a letter (0x01a0... to
 * 0x01ff..., August 2026 to September 2039), when the decimal rule refuses none of them; in
 * stretches of time whose digits are all decimal it refuses about 1 in 18,000 v7 ids (before
 * August 2026 about 1 in a million overall). test/unit/ingest/uuid-check.test.ts measures a
 * million of each.
 */
export function lowEntropyId(id: string): string | undefined {
  let n = 0
  for (let i = 0; i < 36; i++) {
    const c = id.charCodeAt(i)
    if (c === 45) continue // '-'
    NIBBLES[n++] = c <= 57 ? c - 48 : (c | 32) - 87 // '0'-'9', 'a'-'f' in either case
  }
  return lowEntropyNibbles(NIBBLES)
}

/** lowEntropyId on the id's 32 hex digit values, for a caller that has read them already. */
export function lowEntropyNibbles(NIBBLES: Uint8Array): string | undefined {
  const v7 = NIBBLES[12] === 7
  let letters = 0
  if (v7) {
    let ms = 0
    for (let i = 0; i < 12; i++) {
      ms = ms * 16 + NIBBLES[i]!
      if (NIBBLES[i]! > 9) letters++
    }
    if (ms < V7_FROM || ms >= V7_UNTIL) return 'is a v7 id whose time is not a time (before 2020 or after 2100)'
  }
  let seen = 0 // a bit per digit value
  let run = 1
  let step = -1
  let prev = -1
  for (let i = v7 ? 13 : 0; i < 32; i++) {
    if (i === 12) continue // the version digit
    const x = NIBBLES[i]!
    seen |= 1 << x
    if (x > 9) letters++
    if (prev >= 0) {
      const d = (x - prev + 16) & 15
      if ((d === 0 || d === 1 || d === 15) && (run === 1 || d === step)) run++
      else run = d === 0 || d === 1 || d === 15 ? 2 : 1
      step = d
      if (run >= 10) return 'repeats or counts its digits (a counter, not a random id)'
    }
    prev = x
  }
  let distinct = 0
  for (; seen; seen &= seen - 1) distinct++
  if (distinct < (v7 ? 5 : 7)) return 'uses too few distinct digits to be random'
  if (letters === 0) return 'is made of decimal digits only (a number, not a random id)'
  return undefined
}
