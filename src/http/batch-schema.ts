// The zod schemas of POST /v1/batch (EVENTS.md), built from the shared catalog so the SDKs and
// the server agree. The envelope is checked as a whole; each event on its own, so that one bad
// event is rejected without taking its batch down.
import { z } from 'zod'
import { CATALOG, LIMITS, isCatalogName, type PropSpec } from '../../sdk/core/catalog.ts'
import { isSafeKey } from '../../sdk/core/shapes.ts'

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

export function createEnvelopeSchema(maxEvents: number) {
  return z.object({
    key: z.string().max(200).optional(),
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

function maxLengthOf(name: string, key: string): number {
  if (!isCatalogName(name)) return LIMITS.maxPropStringLength
  const spec = (CATALOG[name] as Record<string, PropSpec>)[key]
  return spec?.maxLength ?? LIMITS.maxPropStringLength
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

export const eventSchema = z
  .object({
    id: z.uuid('id must be a UUID'),
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
    const keys = Object.keys(e.props)
    if (keys.length > LIMITS.maxPropsPerEvent) {
      ctx.addIssue({ code: 'custom', path: ['props'], message: `an event has at most ${LIMITS.maxPropsPerEvent} props` })
    }
    for (const key of keys) {
      const v: unknown = e.props[key]
      const shown = showKey(key)
      if (!LIMITS.propKeyPattern.test(key)) {
        ctx.addIssue({ code: 'custom', path: ['props', shown], message: PROP_KEY_MESSAGE })
      } else if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) {
        ctx.addIssue({ code: 'custom', path: ['props', shown], message: PROP_VALUE_MESSAGE })
      } else if (typeof v === 'string' && v.length > maxLengthOf(e.name, key)) {
        ctx.addIssue({ code: 'custom', path: ['props', shown], message: `props.${shown} is longer than ${maxLengthOf(e.name, key)} characters` })
      }
    }
    if (!isCatalogName(e.name)) return
    for (const [key, spec] of Object.entries(CATALOG[e.name] as Record<string, PropSpec>)) {
      const problem = checkSpec(key, spec, e.props[key])
      if (problem) ctx.addIssue({ code: 'custom', path: ['props', key], message: problem })
    }
  })

export type EventParse = { ok: true; event: z.infer<typeof eventSchema> } | { ok: false; reason: string }

/**
 * One event off the wire. zod's record silently skips an own "__proto__" key (JSON.parse makes
 * one); a sender who tries it gets a rejection that says so, not a silently changed event.
 */
export function parseEvent(raw: unknown): EventParse {
  const props = (raw as { props?: unknown } | null)?.props
  if (typeof props === 'object' && props !== null && Object.prototype.hasOwnProperty.call(props, '__proto__')) {
    return { ok: false, reason: `prop key "__proto__" is not allowed; ${PROP_KEY_MESSAGE}` }
  }
  const r = eventSchema.safeParse(raw)
  return r.success ? { ok: true, event: r.data } : { ok: false, reason: describeIssues(r.error) }
}

/** One line a developer understands: the first problem, with where it is. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'invalid'
  const where = issue.path.map((p) => (typeof p === 'string' ? showKey(p) : String(p))).join('.')
  if (issue.message.startsWith('props.') || issue.message.includes(where) || !where) return issue.message
  return `${where}: ${issue.message}`
}
