// The verifier the tests build their parsers with (startTestServer passes it to startVeil): every
// event and envelope a test parses is judged by zod as well, and a disagreement with the fast
// path (src/ingest/batch-fast-check.ts) fails the test.
import { inspect, isDeepStrictEqual } from 'node:util'
import type { FastPathVerifier } from '../../src/ingest/batch-schema.ts'

/** Throws when the fast path's verdict or value differs from zod's. */
export const verifyAgainstZod: FastPathVerifier = (what, raw, fast, zod) => {
  const show = () => JSON.stringify(raw)?.slice(0, 300)
  if ((fast !== undefined) !== zod.success) {
    throw new Error(`fast path ${fast === undefined ? 'refuses' : 'accepts'} a ${what} that zod ${zod.success ? 'accepts' : 'refuses'}: ${show()}`)
  }
  if (zod.success && !isDeepStrictEqual(fast, zod.data)) {
    throw new Error(`fast path parses a ${what} differently from zod: ${inspect(fast, { depth: 5 })} vs ${inspect(zod.data, { depth: 5 })}`)
  }
}

