// Test setup (vitest.config.ts): every event and envelope a test parses is judged by zod as
// well, and a disagreement with the fast path (src/ingest/batch-fast-check.ts) fails the test.
import { inspect, isDeepStrictEqual } from 'node:util'
import { setFastPathVerifier } from '../../src/ingest/batch-schema.ts'

/** Throws when the fast path's verdict or value differs from zod's. */
export function verifyAgainstZod(what: string, raw: unknown, fast: unknown, zod: { success: boolean; data?: unknown }): void {
  const show = () => JSON.stringify(raw)?.slice(0, 300)
  if ((fast !== undefined) !== zod.success) {
    throw new Error(`fast path ${fast === undefined ? 'refuses' : 'accepts'} a ${what} that zod ${zod.success ? 'accepts' : 'refuses'}: ${show()}`)
  }
  if (zod.success && !isDeepStrictEqual(fast, zod.data)) {
    throw new Error(`fast path parses a ${what} differently from zod: ${inspect(fast, { depth: 5 })} vs ${inspect(zod.data, { depth: 5 })}`)
  }
}

setFastPathVerifier(verifyAgainstZod)
