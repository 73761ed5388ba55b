// The event id check of the fast path (batch-fast-check.ts) as a character loop: the same verdict
// as zod's z.uuid() pattern, without a regex run per event. test/unit/ingest/uuid-check.test.ts
// holds the two together on valid, invalid and mutated ids.
import { HEX_VALUE } from '../storage/rows/row-binary.ts'

// zod's pattern takes two special ids besides the RFC 9562 layout (versions 1-8, variant 10xx):
// the nil and the max UUID, lower case only.
const NIL = '00000000-0000-0000-0000-000000000000'
const MAX = 'ffffffff-ffff-ffff-ffff-ffffffffffff'

/**
 * True when zod's z.uuid() accepts `s`: 8-4-4-4-12 hex digits (any case), a version digit 1-8
 * at 14, a variant digit 8, 9, a or b (any case) at 19; or the nil or max UUID.
 */
export function isUuid(s: string): boolean {
  if (s.length !== 36) return false
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i)
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false // '-'
    } else if (c >= 128 || HEX_VALUE[c]! < 0) return false
  }
  const version = s.charCodeAt(14)
  const variant = s.charCodeAt(19) | 32 // lower case
  if (version >= 49 && version <= 56 && (variant === 56 || variant === 57 || variant === 97 || variant === 98)) return true // '1'-'8'; '8', '9', 'a', 'b'
  return s === NIL || s === MAX
}
