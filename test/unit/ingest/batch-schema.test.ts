// The wire schemas of POST /v1/batch (EVENTS.md): catalog props, enums and ranges, custom
// names, prop keys and values, length limits, and messages a developer can act on.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createEnvelopeParser, createEnvelopeSchema, createEventParser, describeIssues, type EventParse } from '../../../src/ingest/batch-schema.ts'
import { verifyAgainstZod } from '../../support/verify-fast-path.ts'

const base = { id: '0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11', ts: 1_763_798_399_000 }
const reason = (r: EventParse) => (r.ok ? 'accepted' : r.reason)

/** The event parser, its fast path judged against zod on every event these tests send. */
const parseEvent = createEventParser(verifyAgainstZod)

describe('parseEvent: catalog events', () => {
  it('accepts a catalog event with its required props', () => {
    const r = parseEvent({ ...base, name: 'report_query', props: { report: 'monthly', duration_ms: 1840, rows: 312, status: 'ok' } })
    expect(r.ok).toBe(true)
  })

  it('rejects a catalog event without a required prop, naming it', () => {
    expect(reason(parseEvent({ ...base, name: 'report_query', props: { report: 'x', status: 'ok' } }))).toBe('props.duration_ms is required')
    expect(reason(parseEvent({ ...base, name: 'page_view' }))).toBe('props.path is required')
  })

  it('rejects a value outside a catalog enum, listing the allowed ones', () => {
    expect(reason(parseEvent({ ...base, name: 'cm_data_import', props: { status: 'maybe' } }))).toBe('props.status must be one of ok, failed')
  })

  it('rejects a prop of the wrong type', () => {
    expect(reason(parseEvent({ ...base, name: 'app_crash', props: { error_type: 'E', fatal: 'yes' } }))).toBe('props.fatal must be a boolean')
    expect(reason(parseEvent({ ...base, name: 'app_stop', props: { uptime_ms: '5' } }))).toBe('props.uptime_ms must be a number')
  })

  it.each([
    [1, 'accepted'],
    [5, 'accepted'],
    // Bounds are the plan's: outside them the prop is dropped there (test/unit/plan), not the event here.
    [0, 'accepted'],
    [6, 'accepted'],
    [4.5, 'props.rating must be an integer'],
  ])('judges a feedback rating of %s: %s', (rating, expected) => {
    expect(reason(parseEvent({ ...base, name: 'feedback', props: { rating } }))).toBe(expected)
  })

  it('accepts feedback text up to 2000 characters and rejects longer', () => {
    expect(reason(parseEvent({ ...base, name: 'feedback', props: { text: 'x'.repeat(2000) } }))).toBe('accepted')
    expect(reason(parseEvent({ ...base, name: 'feedback', props: { text: 'x'.repeat(2001) } }))).toBe('props.text is longer than 2000 characters')
  })

  it('allows props beyond those the catalog names', () => {
    expect(parseEvent({ ...base, name: 'login', props: { method: 'sso', tenant_size: 'large' } }).ok).toBe(true)
  })
})

describe('parseEvent: names, keys and values', () => {
  it('accepts a custom name', () => {
    expect(parseEvent({ ...base, name: 'export.csv_download' }).ok).toBe(true)
  })

  it.each([['Login'], ['bad name!'], ['1st'], ['x'.repeat(65)], ['a-b']])('rejects the name %j with the pattern', (name) => {
    expect(reason(parseEvent({ ...base, name }))).toBe('name must match ^[a-z][a-z0-9_.]{0,63}$ (a catalog name or a custom one)')
  })

  it('rejects a __proto__ prop key, saying so', () => {
    const props: unknown = JSON.parse('{"__proto__": {"polluted": "yes"}}')
    expect(reason(parseEvent({ ...base, name: 'login', props }))).toMatch(/^prop key "__proto__" is not allowed/)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('keeps constructor, which matches the documented key pattern, as a plain own prop', () => {
    const r = parseEvent({ ...base, name: 'login', props: { constructor: 'x' } })
    if (!r.ok) throw new Error(r.reason)
    expect(Object.prototype.hasOwnProperty.call(r.event.props, 'constructor')).toBe(true)
    expect(r.event.props.constructor).toBe('x')
    expect(({}).constructor).toBe(Object)
  })

  it('rejects prop keys with capitals or dashes', () => {
    expect(reason(parseEvent({ ...base, name: 'login', props: { 'Bad-Key': 1 } }))).toMatch(/^props\.\[key\]: prop keys must match/)
  })

  it('never echoes a key shaped like personal data in its reason', () => {
    const r = reason(parseEvent({ ...base, name: 'login', props: { jane_roe_example_com: 'x'.repeat(501) } }))
    expect(r).toBe('props.[key] is longer than 500 characters')
  })

  it('rejects more than 25 props and accepts 25', () => {
    const props = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, i]))
    expect(reason(parseEvent({ ...base, name: 'login', props: props(25) }))).toBe('accepted')
    expect(reason(parseEvent({ ...base, name: 'login', props: props(26) }))).toBe('an event has at most 25 props')
  })

  it('accepts a string prop of 500 characters and rejects 501', () => {
    expect(reason(parseEvent({ ...base, name: 'x.y', props: { a: 'x'.repeat(500) } }))).toBe('accepted')
    expect(reason(parseEvent({ ...base, name: 'x.y', props: { a: 'x'.repeat(501) } }))).toBe('props.a is longer than 500 characters')
  })

  it('rejects nested objects, arrays and null as prop values with a clear message', () => {
    const msg = 'prop values must be a string, a finite number or a boolean'
    expect(reason(parseEvent({ ...base, name: 'login', props: { nested: { a: 1 } } }))).toBe(`props.nested: ${msg}`)
    expect(reason(parseEvent({ ...base, name: 'login', props: { list: [1] } }))).toBe(`props.list: ${msg}`)
    expect(reason(parseEvent({ ...base, name: 'login', props: { nothing: null } }))).toBe(`props.nothing: ${msg}`)
  })

  it('rejects an id that is not a UUID and a ts that is not epoch milliseconds', () => {
    expect(reason(parseEvent({ ...base, id: 'abc', name: 'login' }))).toBe('id must be a UUID of version 4 or 7')
    expect(reason(parseEvent({ ...base, ts: -1, name: 'login' }))).toBe('ts must be epoch milliseconds')
    expect(reason(parseEvent({ ...base, ts: 0.4, name: 'login' }))).toBe('ts must be epoch milliseconds')
    expect(reason(parseEvent({ ...base, ts: String(base.ts), name: 'login' }))).not.toBe('accepted')
  })

  it('accepts a fractional ts and sent_at (Python\'s time.time() * 1000) and rounds both to the millisecond', () => {
    const parsed = parseEvent({ ...base, ts: base.ts + 0.5, name: 'login' })
    expect(parsed.ok && parsed.event.ts).toBe(base.ts + 1)
    const env = createEnvelopeParser(10, verifyAgainstZod)({ sent_at: base.ts + 0.25, events: [{}] })
    expect(env.ok && env.envelope.sent_at).toBe(base.ts)
  })

  it('rejects empty and overlong identifiers, naming the field', () => {
    expect(reason(parseEvent({ ...base, name: 'login', user_id: '' }))).toMatch(/^user_id: /)
    expect(reason(parseEvent({ ...base, name: 'login', session_id: 'x'.repeat(201) }))).toMatch(/^session_id: .*200/)
  })

  it('rejects an event that is not an object', () => {
    for (const raw of [null, 'login', [1], 5]) expect(parseEvent(raw).ok).toBe(false)
  })

  it('strips unknown fields beside the event', () => {
    const r = parseEvent({ ...base, name: 'login', ip: '203.0.113.9' })
    if (!r.ok) throw new Error(r.reason)
    expect(r.event).not.toHaveProperty('ip')
  })
})

describe('createEnvelopeSchema', () => {
  const schema = createEnvelopeSchema(3)
  const problem = (body: unknown) => {
    const r = schema.safeParse(body)
    return r.success ? 'ok' : describeIssues(r.error)
  }

  it('accepts a batch with key, sent_at, context and events', () => {
    expect(problem({ key: 'wk_x', sent_at: 1, context: { lang: 'de-DE', screen: { w: 1920, h: 1080 }, os: { name: 'Windows' } }, events: [{}] })).toBe('ok')
  })

  it('rejects an empty batch and one over the event limit', () => {
    expect(problem({ events: [] })).toBe('events must hold at least one event')
    expect(problem({ events: [1, 2, 3, 4] })).toBe('a batch holds at most 3 events')
  })

  it('names the field of a context problem', () => {
    expect(problem({ events: [1], context: { lang: 'x'.repeat(65) } })).toMatch(/^context\.lang: /)
    expect(problem({ events: [1], context: { screen: { w: -1, h: 1 } } })).toMatch(/^context\.screen\.w: /)
    expect(problem({ events: [1], context: { app_version: 'x'.repeat(65) } })).toMatch(/^context\.app_version: /)
  })

  it('names a missing events array', () => {
    expect(problem({ key: 'wk_x' })).toMatch(/^events: .*expected array/)
  })
})

describe('describeIssues', () => {
  it('gives the first problem with its path', () => {
    const r = z.object({ a: z.object({ b: z.number() }) }).safeParse({ a: { b: 'x' } })
    expect(r.success).toBe(false)
    if (!r.success) expect(describeIssues(r.error)).toBe('a.b: Invalid input: expected number, received string')
  })

  it('does not repeat a path the message already names', () => {
    const r = z.object({ lang: z.string().regex(/^x$/, 'lang must be x') }).safeParse({ lang: 'y' })
    expect(r.success).toBe(false)
    if (!r.success) expect(describeIssues(r.error)).toBe('lang must be x')
  })

  it('says invalid for an error without issues', () => {
    expect(describeIssues(new z.ZodError([]))).toBe('invalid')
  })
})
