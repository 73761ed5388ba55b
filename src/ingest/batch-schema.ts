// The zod schemas of POST /v1/batch (EVENTS.md), built from the shared catalog so the SDKs and
// the server agree. The envelope is checked as a whole; each event on its own, so that one bad
// event is rejected without taking its batch down. The parsers run the fast path first.
import { z } from 'zod'
import { LIMITS, type ParsedEvent } from '../../sdk/core/catalog.ts'
import { lowEntropyId } from '../../sdk/core/uuid.ts'
import { fastEnvelope, fastEvent } from './batch-fast-check.ts'
import { MAX_KEY_LENGTH, PROP_KEY_MESSAGE, checkProps, showKey, type Envelope } from './wire-rules.ts'

export type { Envelope } from './wire-rules.ts'

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
    key: z.string().max(MAX_KEY_LENGTH).optional(),
    // Epochs are milliseconds; a fractional one (`Date.now() + 0.25`, Python's
    // `time.time() * 1000`) is rounded, as the engine's DateTime64(3) would not take it.
    sent_at: z.number().finite().transform(Math.round).optional(),
    context: contextSchema,
    events: z
      .array(z.unknown())
      .min(1, 'events must hold at least one event')
      .max(maxEvents, `a batch holds at most ${maxEvents} events`),
  })
}

const idString = z.string().min(1).max(LIMITS.maxIdLength)

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

// Props are checked key by key in the event's refinement below, in one pass with the catalog
// checks: a zod record would run two schemas per prop and copy the object, which made it the
// largest part of validating an event (bench/handler.ts).
const propsSchema = z
  .custom<Record<string, string | number | boolean>>(isPlainObject, 'props must be an object of string, number or boolean values')
  .optional()
  .default({})

/**
 * The id check, apart so that the fast path's isEventId (uuid-check.ts) is tested against it:
 * zod's own v4 and v7 patterns, then the randomness check both share (issue 25: an id made of
 * phone digits was a covert channel).
 */
export const uuidSchema = z
  .string('id must be a UUID of version 4 or 7')
  .refine((s) => z.regexes.uuid4.test(s) || z.regexes.uuid7.test(s), { message: 'id must be a UUID of version 4 or 7', abort: true })
  .refine((s) => lowEntropyId(s) === undefined, { error: (i) => `id must be a random UUID (crypto.randomUUID()): this one ${lowEntropyId(i.input as string)}` })

export const eventSchema = z
  .object({
    id: uuidSchema,
    name: z
      .string()
      .regex(LIMITS.customNamePattern, 'name must match ^[a-z][a-z0-9_.]{0,63}$ (a catalog name or a custom one)'),
    ts: z
      .number()
      .transform(Math.round)
      .pipe(z.number().int('ts must be epoch milliseconds').positive('ts must be epoch milliseconds')),
    user_id: idString.optional(),
    session_id: idString.optional(),
    org_id: idString.optional(),
    props: propsSchema,
  })
  .superRefine((e, ctx) => {
    checkProps(e.name, e.props, (path, message) => ctx.addIssue({ code: 'custom', path, message }))
  })

// What the schemas give is exactly the catalog's types (sdk/core/catalog.ts), both ways, so the
// event keeps one type from the wire to the row: a field changed on one side fails the type check.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const sameEvent: Same<z.infer<typeof eventSchema>, ParsedEvent> = true
const sameEnvelope: Same<z.infer<ReturnType<typeof createEnvelopeSchema>>, Envelope> = true
void [sameEvent, sameEnvelope]

export type EventParse = { ok: true; event: ParsedEvent } | { ok: false; reason: string }
export type EnvelopeParse = { ok: true; envelope: Envelope } | { ok: false; reason: string }

/**
 * Called with the fast path's value (undefined: not accepted) and zod's verdict on the same
 * input; throws when they differ. The tests build their parsers with one
 * (test/support/verify-fast-path.ts); production parsers have none and never run zod twice.
 */
export type FastPathVerifier = (what: 'event' | 'envelope', raw: unknown, fast: unknown, zod: { success: boolean; data?: unknown }) => void

/**
 * The parser of one event off the wire. zod's record silently skips an own "__proto__" key
 * (JSON.parse makes one); a sender who tries it gets a rejection that says so, not a silently
 * changed event. zod runs only for what the fast path does not accept: the rare invalid event.
 */
export function createEventParser(verify?: FastPathVerifier): (raw: unknown) => EventParse {
  const parse = (raw: unknown, fast: ParsedEvent | undefined): EventParse => {
    if (fast !== undefined) return { ok: true, event: fast }
    const r = eventSchema.safeParse(raw)
    return r.success ? { ok: true, event: r.data } : { ok: false, reason: describeIssues(r.error) }
  }
  if (!verify) {
    return function parseEvent(raw) {
      return hasProtoKey(raw) ? PROTO_REJECTION : parse(raw, fastEvent(raw))
    }
  }
  return function parseEventVerified(raw) {
    if (hasProtoKey(raw)) return PROTO_REJECTION
    const fast = fastEvent(raw)
    verify('event', raw, fast, eventSchema.safeParse(raw))
    return parse(raw, fast)
  }
}

const PROTO_REJECTION: EventParse = { ok: false, reason: `prop key "__proto__" is not allowed; ${PROP_KEY_MESSAGE}` }

function hasProtoKey(raw: unknown): boolean {
  const props = (raw as { props?: unknown } | null)?.props
  return typeof props === 'object' && props !== null && Object.prototype.hasOwnProperty.call(props, '__proto__')
}

/** The event parser without a verifier, as production runs it. */
export const parseEvent = createEventParser()

/** The envelope check of /v1/batch: the fast path, and zod for what it does not accept. */
export function createEnvelopeParser(maxEvents: number, verify?: FastPathVerifier): (raw: unknown) => EnvelopeParse {
  const schema = createEnvelopeSchema(maxEvents)
  return function parseEnvelope(raw) {
    const fast = fastEnvelope(raw, maxEvents)
    if (verify) verify('envelope', raw, fast, schema.safeParse(raw))
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
