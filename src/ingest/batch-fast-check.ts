// The fast path of the wire schemas (batch-schema.ts): plain checks that accept exactly what the
// zod schemas accept and give the same value back, without zod's per-check machinery (about a
// tenth of the main thread's time per event). Anything it does not accept goes to zod, which
// stays the source of truth and words every message; test/unit/ingest/batch-fast-check.test.ts
// and the tests' verifying parsers (test/support/verify-fast-path.ts) hold the two together.
// The rules both apply live in wire-rules.ts, so this file does not import the schemas.
import { LIMITS, type ParsedEvent } from '../../sdk/core/catalog.ts'
import { MAX_KEY_LENGTH, checkProps, type Envelope } from './wire-rules.ts'
import { isEventId } from './uuid-check.ts'

const { maxIdLength, maxContextStringLength: maxShort, customNamePattern } = LIMITS

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** An optional id as the schema has it: absent, or 1 to maxIdLength characters. */
const idOk = (v: unknown) => v === undefined || (typeof v === 'string' && v.length >= 1 && v.length <= maxIdLength)
const shortOk = (v: unknown) => v === undefined || (typeof v === 'string' && v.length <= maxShort)
const screenSide = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 65535

/**
 * The event as eventSchema parses it, or undefined when zod must judge it. zod keeps only the
 * schema's keys (a key present as undefined stays), reads inherited ones too (`in`, `.`), and
 * gives `props` back as sent, or a new {} when there are none.
 */
export function fastEvent(raw: unknown): ParsedEvent | undefined {
  if (!isObject(raw)) return undefined
  const { id, name, user_id, session_id, org_id } = raw
  if (typeof id !== 'string' || !isEventId(id)) return undefined
  if (typeof name !== 'string' || !customNamePattern.test(name)) return undefined
  // Rounded first, as eventSchema does: a fractional epoch is milliseconds all the same.
  const ts = typeof raw.ts === 'number' ? Math.round(raw.ts) : NaN
  if (!Number.isSafeInteger(ts) || ts <= 0) return undefined
  if (!idOk(user_id) || !idOk(session_id) || !idOk(org_id)) return undefined
  const sent = raw.props
  if (sent !== undefined && !isObject(sent)) return undefined
  const props = sent ?? {}
  if (!checkProps(name, props, undefined)) return undefined
  const event: ParsedEvent = { id, name, ts, props: props as ParsedEvent['props'] }
  // Set in this order only when present: the parsed event has the shape zod gives it.
  if ('user_id' in raw) event.user_id = user_id as string | undefined
  if ('session_id' in raw) event.session_id = session_id as string | undefined
  if ('org_id' in raw) event.org_id = org_id as string | undefined
  return event
}

function fastContext(c: Record<string, unknown>): Envelope['context'] | null {
  const { app_version, deployment, screen, lang, os } = c
  if (!shortOk(app_version) || !shortOk(deployment) || !shortOk(lang)) return null
  const out: NonNullable<Envelope['context']> = {}
  if ('app_version' in c) out.app_version = app_version as string | undefined
  if ('deployment' in c) out.deployment = deployment as string | undefined
  if (screen !== undefined) {
    if (!isObject(screen) || !screenSide(screen.w) || !screenSide(screen.h)) return null
    out.screen = { w: screen.w as number, h: screen.h as number }
  } else if ('screen' in c) out.screen = undefined
  if ('lang' in c) out.lang = lang as string | undefined
  if (os !== undefined) {
    if (!isObject(os) || typeof os.name !== 'string' || os.name.length > maxShort || !shortOk(os.version)) return null
    out.os = { name: os.name }
    if ('version' in os) out.os.version = os.version as string | undefined
  } else if ('os' in c) out.os = undefined
  return out
}

/** The envelope as createEnvelopeSchema(maxEvents) parses it, or undefined when zod must judge it. */
export function fastEnvelope(raw: unknown, maxEvents: number): Envelope | undefined {
  if (!isObject(raw)) return undefined
  const { key, sent_at, context, events } = raw
  if (key !== undefined && (typeof key !== 'string' || key.length > MAX_KEY_LENGTH)) return undefined
  if (sent_at !== undefined && (typeof sent_at !== 'number' || !Number.isFinite(sent_at))) return undefined
  if (!Array.isArray(events) || events.length < 1 || events.length > maxEvents) return undefined
  let ctx: Envelope['context']
  if (context !== undefined) {
    if (!isObject(context)) return undefined
    const parsed = fastContext(context)
    if (parsed === null) return undefined
    ctx = parsed
  }
  // A copy, as zod gives: the array holds the same events, and nothing but its elements.
  const envelope: Envelope = { events: events.slice() }
  if ('key' in raw) envelope.key = key as string | undefined
  if ('sent_at' in raw) envelope.sent_at = sent_at === undefined ? undefined : Math.round(sent_at as number)
  if ('context' in raw) envelope.context = ctx
  return envelope
}
