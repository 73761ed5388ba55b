// The rules of the wire format that both judges of a batch apply: the zod schemas
// (batch-schema.ts, the source of truth and of every message) and the fast path
// (batch-fast-check.ts). Apart in this file so that the two import it and not each other.
import { CATALOG, LIMITS, isCatalogName, type BatchContext, type PropSpec } from '../../sdk/core/catalog.ts'
import { isSafeKey } from '../../sdk/core/shapes.ts'

/** The longest write key the envelope takes. */
export const MAX_KEY_LENGTH = 200

/**
 * A request body of POST /v1/batch once its envelope is checked (sdk/core/catalog.ts WireBatch):
 * the events are still unchecked, each is judged on its own so one bad event is only rejected.
 */
export interface Envelope {
  key?: string
  sent_at?: number
  context?: BatchContext
  events: unknown[]
}

/** A prop key as a message may show it: a key shaped like an address is not echoed (issue 10). */
export const showKey = (key: string) => (isSafeKey(key) ? key : '[key]')

export const PROP_KEY_MESSAGE = 'prop keys must match ^[a-z][a-z0-9_]{0,39}$'
const PROP_VALUE_MESSAGE = 'prop values must be a string, a finite number or a boolean'

/** Checks one prop against its catalog spec; returns a message or undefined. */
function checkSpec(key: string, spec: PropSpec, v: unknown): string | undefined {
  if (v === undefined) return spec.required ? `props.${key} is required` : undefined
  if (spec.type === 'boolean' && typeof v !== 'boolean') return `props.${key} must be a boolean`
  if (spec.type === 'string') {
    if (typeof v !== 'string') return `props.${key} must be a string`
    if (spec.values && !spec.values.includes(v)) return `props.${key} must be one of ${spec.values.join(', ')}`
    return undefined
  }
  if (spec.type === 'number' || spec.type === 'integer') {
    if (typeof v !== 'number') return `props.${key} must be a number`
    if (spec.type === 'integer' && !Number.isInteger(v)) return `props.${key} must be an integer`
    // Bounds are the plan's (compile-plan.ts): outside them a prop is dropped as `out_of_bounds`.
  }
  return undefined
}

/** The longest string a prop takes: its catalog spec's maxLength, else the general limit. */
function maxLengthOf(specs: Record<string, PropSpec> | undefined, key: string): number {
  return specs?.[key]?.maxLength ?? LIMITS.maxPropStringLength
}

/** Where a prop problem is reported: zod's refinement context, or nothing (only the verdict counts). */
export type Report = ((path: string[], message: string) => void) | undefined

/**
 * The prop checks of an event (count, keys, values, lengths, the catalog's specs): true when
 * there is no problem. The schema's refinement reports every problem; the fast path
 * (batch-fast-check.ts) only needs the verdict, so both share this one definition.
 */
export function checkProps(name: string, props: Record<string, unknown>, report: Report): boolean {
  let ok = true
  // Looked up once per event, not once per prop.
  const specs = isCatalogName(name) ? (CATALOG[name] as Record<string, PropSpec>) : undefined
  const keys = Object.keys(props)
  if (keys.length > LIMITS.maxPropsPerEvent) {
    if (!report) return false
    ok = false
    report(['props'], `an event has at most ${LIMITS.maxPropsPerEvent} props`)
  }
  for (const key of keys) {
    const v: unknown = props[key]
    let message: string | undefined
    if (!LIMITS.propKeyPattern.test(key)) message = PROP_KEY_MESSAGE
    else if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) message = PROP_VALUE_MESSAGE
    else if (typeof v === 'string' && v.length > maxLengthOf(specs, key)) message = `props.${showKey(key)} is longer than ${maxLengthOf(specs, key)} characters`
    if (message === undefined) continue
    if (!report) return false
    ok = false
    report(['props', showKey(key)], message)
  }
  if (specs === undefined) return ok
  for (const key in specs) {
    const problem = checkSpec(key, specs[key]!, props[key])
    if (problem === undefined) continue
    if (!report) return false
    ok = false
    report(['props', key], problem)
  }
  return ok
}
