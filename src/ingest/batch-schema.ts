// The zod schemas of POST /v1/batch (EVENTS.md), built from the shared catalog so the SDKs and
// the server agree. The envelope is checked as a whole; each event on its own, so that one bad
// event is rejected without taking its batch down.
import { z } from 'zod'
import { CATALOG, LIMITS, isCatalogName, type PropSpec } from '../../sdk/core/catalog.ts'
import { isSafeKey } from '../../sdk/core/shapes.ts'
import { fastEnvelope, fastEvent } from './batch-fast-check.ts'

/** A prop key as a message may show it: a key shaped like an address is not echoed (issue 10). */
const showKey = (key: string) => (isSafeKey(key) ? key : '[key]')

const shortString = z.string().max(LIMITS.maxContextStringLength)

export const contextSchema = z
  .object({
    app_version: shortString.optional(),
    deployment: shortString.optional(),
    screen: z
      .object({ w: z.number().int().min(0).max(65535), h: z.number().int().min(0).max(65535) })
      .optional(),
    // Checked against ISO lists by put_context, which drops a tag that is not one (PRIVACY.md 13).
    lang: shortString.optional(),
    os: z.object({ name: shortString, version: shortString.optional() }).optional(),
  })
  .optional()

/** The longest write key the envelope takes. */
export const MAX_KEY_LENGTH = 200

export function createEnvelopeSchema(maxEvents: number) {
  return z.object({
    key: z.string().max(MAX_KEY_LENGTH).optional(),
    sent_at: z.number().finite().optional(),
    context: contextSchema,
    events: z
      .array(z.unknown())
      .min(1, 'events must hold at least one event')
      .max(maxEvents, `a batch holds at most ${maxEvents} events`),
  })
}

export type Envelope = z.infer<ReturnType<typeof createEnvelopeSchema>>

const idString = z.string().min(1).max(LIMITS.maxIdLength)

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
    if (spec.min !== undefined && v < spec.min) return `props.${key} must be at least ${spec.min}`
    if (spec.max !== undefined && v > spec.max) return `props.${key} must be at most ${spec.max}`
  }
  return undefined
}

/** The longest string a prop takes: its catalog spec's maxLength, else the general limit. */
function maxLengthOf(specs: Record<string, PropSpec> | undefined, key: string): number {
  return specs?.[key]?.maxLength ?? LIMITS.maxPropStringLength
}

const PROP_KEY_MESSAGE = 'prop keys must match ^[a-z][a-z0-9_]{0,39}$'
const PROP_VALUE_MESSAGE = 'prop values must be a string, a finite number or a boolean'

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

// Props are checked key by key in the event's refinement below, in one pass with the catalog
// checks: a zod record would run two schemas per prop and copy the object, which made it the
// largest part of validating an event (bench/handler.ts).
const propsSchema = z
  .custom<Record<string, string | number | boolean>>(isPlainObject, 'props must be an object of string, number or boolean values')
  .optional()
  .default({})

/** Where a prop problem is reported: zod's refinement context, or nothing (only the verdict counts). */
type Report = ((path: string[], message: string) => void) | undefined

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

/** The id check, apart so that the fast path's isUuid (uuid-check.ts) is tested against the very pattern zod uses. */
export const uuidSchema = z.uuid('id must be a UUID')

export const eventSchema = z
  .object({
    id: uuidSchema,
    name: z
      .string()
      .regex(LIMITS.customNamePattern, 'name must match ^[a-z][a-z0-9_.]{0,63}$ (a catalog name or a custom one)'),
    ts: z.number().int('ts must be epoch milliseconds').positive('ts must be epoch milliseconds'),
    user_id: idString.optional(),
    session_id: idString.optional(),
    org_id: idString.optional(),
    props: propsSchema,
  })
  .superRefine((e, ctx) => {
    checkProps(e.name, e.props, (path, message) => ctx.addIssue({ code: 'custom', path, message }))
  })

export type ParsedWireEvent = z.infer<typeof eventSchema>
export type EventParse = { ok: true; event: ParsedWireEvent } | { ok: false; reason: string }

/**
 * When set (the test setup sets it), every parse runs zod as well and throws if the fast path
 * (batch-fast-check.ts) disagrees with it: every test that sends events checks the two agree.
 */
let verifyFastPath: ((what: string, raw: unknown, fast: unknown, zod: { success: boolean; data?: unknown }) => void) | undefined
export function setFastPathVerifier(verify: typeof verifyFastPath): void {
  verifyFastPath = verify
}

/**
 * One event off the wire. zod's record silently skips an own "__proto__" key (JSON.parse makes
 * one); a sender who tries it gets a rejection that says so, not a silently changed event.
 */
export function parseEvent(raw: unknown): EventParse {
  const props = (raw as { props?: unknown } | null)?.props
  if (typeof props === 'object' && props !== null && Object.prototype.hasOwnProperty.call(props, '__proto__')) {
    return { ok: false, reason: `prop key "__proto__" is not allowed; ${PROP_KEY_MESSAGE}` }
  }
  // zod only for what the fast path does not accept: the rare invalid event, and its message.
  const fast = fastEvent(raw)
  if (verifyFastPath) verifyFastPath('event', raw, fast, eventSchema.safeParse(raw))
  if (fast !== undefined) return { ok: true, event: fast }
  const r = eventSchema.safeParse(raw)
  return r.success ? { ok: true, event: r.data } : { ok: false, reason: describeIssues(r.error) }
}

export type EnvelopeParse = { ok: true; envelope: Envelope } | { ok: false; reason: string }

/** The envelope check of /v1/batch: the fast path, and zod for what it does not accept. */
export function createEnvelopeParser(maxEvents: number): (raw: unknown) => EnvelopeParse {
  const schema = createEnvelopeSchema(maxEvents)
  return (raw) => {
    const fast = fastEnvelope(raw, maxEvents)
    if (verifyFastPath) verifyFastPath('envelope', raw, fast, schema.safeParse(raw))
    if (fast !== undefined) return { ok: true, envelope: fast }
    const r = schema.safeParse(raw)
    return r.success ? { ok: true, envelope: r.data } : { ok: false, reason: describeIssues(r.error) }
  }
}

/** One line a developer understands: the first problem, with where it is. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'invalid'
  const where = issue.path.map((p) => (typeof p === 'string' ? showKey(p) : String(p))).join('.')
  if (issue.message.startsWith('props.') || issue.message.includes(where) || !where) return issue.message
  return `${where}: ${issue.message}`
}
