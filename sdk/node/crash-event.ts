// The props of `app_crash` (EVENTS.md catalog): error type, scrubbed message, a fingerprint of the
// stack frames without paths, and whether the process dies of it.
import type { CatalogProps } from '../core/catalog.ts'
import { crashFingerprint, scrubText, type LocalNames } from './scrub.ts'

export function crashProps(error: unknown, fatal: boolean, names: LocalNames): CatalogProps<'app_crash'> {
  const e = error instanceof Error ? error : undefined
  const errorType = scrubText(e ? e.name || e.constructor.name : typeof error, names, 64)
  const message = e ? e.message : String(error)
  return {
    error_type: errorType,
    message: scrubText(message, names),
    fingerprint: crashFingerprint(errorType, e?.stack),
    fatal,
  }
}
