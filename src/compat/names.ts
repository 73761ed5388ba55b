// The documented rule that turns PostHog and Segment event names and prop keys into Veil's
// (docs/compat.md, "The name rule"), cached: an app sends the same few names millions of times.
import { LRUCache } from 'lru-cache'
import { LIMITS } from '../../sdk/core/catalog.ts'
import { scrubText } from '../privacy/scrub.ts'

/**
 * The documented rule for names and prop keys: accents removed, lowercase, every run of
 * characters other than a-z and 0-9 becomes one `_`, leading and trailing `_` trimmed.
 * `Report Run` -> `report_run`, `Größe geändert` -> `gro_e_geandert`. The result must still
 * match Veil's pattern, or the event is rejected (a name) or the prop dropped (a key).
 */
export function toSnakeName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
}

/**
 * An event name by the rule, unless the name carries something scrubbing would replace (an
 * e-mail, a phone number, a digit run, a URL query): converting would hide that shape from the
 * pipeline (`Signed up anna@example.com` -> `signed_up_anna_example_com`), so the original goes
 * on and is judged as it is, which rejects it unless it is already a valid name.
 */
export function veilName(name: string): string {
  return scrubText(name) === name ? toSnakeName(name) : name
}

/** The page path of a mobile screen name: `/` + the name by the rule; `/:id` for an id-like name. */
export function screenPath(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined
  const slug = toSnakeName(name)
  if (!slug) return undefined
  return scrubText(name) === name ? `/${slug}` : '/:id'
}

// Only names that scrubbing leaves alone are cached, so no e-mail or phone number is kept in
// memory past its request (PRIVACY.md 15).
const names = new LRUCache<string, string>({ max: 10_000 })
const keys = new LRUCache<string, string | false>({ max: 10_000 })

/** veilName, cached for clean names. */
export function cachedVeilName(name: string): string {
  const hit = names.get(name)
  if (hit !== undefined) return hit
  if (scrubText(name) !== name) return name
  const out = toSnakeName(name)
  names.set(name, out)
  return out
}

/**
 * A prop key by the rule, or undefined when the result is not a valid key or the key has an
 * e-mail, phone or digit-run shape (dropped, not converted; see veilName).
 */
export function propKey(k: string): string | undefined {
  const hit = keys.get(k)
  if (hit !== undefined) return hit || undefined
  if (scrubText(k) !== k) return undefined
  const key = toSnakeName(k)
  const ok = LIMITS.propKeyPattern.test(key)
  keys.set(k, ok ? key : false)
  return ok ? key : undefined
}
