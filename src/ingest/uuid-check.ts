// The event id check of the fast path (batch-fast-check.ts) as a character loop: the same verdict
// as the schema's uuidSchema (batch-schema.ts), zod's v4 and v7 UUID patterns and the shared
// randomness check, without a regex run per event. test/unit/ingest/uuid-check.test.ts holds the
// two together on valid, invalid, low-entropy and mutated ids.
import { HEX_VALUE } from '../storage/rows/row-binary.ts'
import { lowEntropyNibbles } from '../../sdk/core/uuid.ts'

// The id's hex digit values, read in the same pass as its layout.
const NIBBLES = new Uint8Array(32)

/**
 * True when `s` is 8-4-4-4-12 hex digits (any case) with the version digit 4 or 7 at 14, a
 * variant digit 8, 9, a or b (any case) at 19, and random digits (sdk/core/uuid.ts lowEntropyId).
 */
export function isEventId(s: string): boolean {
  if (s.length !== 36) return false
  let n = 0
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i)
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false // '-'
      continue
    }
    const v = c < 128 ? HEX_VALUE[c]! : -1
    if (v < 0) return false
    NIBBLES[n++] = v
  }
  const version = s.charCodeAt(14)
  const variant = s.charCodeAt(19) | 32 // lower case
  if (version !== 52 && version !== 55) return false // '4', '7'
  if (variant !== 56 && variant !== 57 && variant !== 97 && variant !== 98) return false // '8', '9', 'a', 'b'
  return lowEntropyNibbles(NIBBLES) === undefined
}
