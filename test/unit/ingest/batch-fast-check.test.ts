// The fast path of the wire schemas against zod, the source of truth: the same verdict and the
// same parsed value for the schema tests' cases and for thousands of generated and mutated
// events and envelopes; invalid ones get zod's own message. (The test servers and the schema
// tests build their parsers with test/support/verify-fast-path.ts, so whatever they send is
// checked the same way.)
import { describe, expect, it } from 'vitest'
import { CATALOG, CATALOG_NAMES, LIMITS, type PropSpec } from '../../../sdk/core/catalog.ts'
import { fastEnvelope, fastEvent } from '../../../src/ingest/batch-fast-check.ts'
import { createEnvelopeParser, createEnvelopeSchema, describeIssues, eventSchema, parseEvent } from '../../../src/ingest/batch-schema.ts'
import { verifyAgainstZod } from '../../support/verify-fast-path.ts'
import { seededRandom } from '../../support/seeded-random.ts'

/** Seeded picks (seeded-random.ts): the same cases on every run, a failure reproducible. */
function random(seed: number) {
  const next = seededRandom(seed)
  // A fresh copy of what is picked, so that a later mutation never reaches a shared value.
  const pick = <T>(xs: readonly T[]): T => structuredClone(xs[Math.floor(next() * xs.length)]!)
  return { next, int: (n: number) => Math.floor(next() * n), pick }
}

const UUID = '0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11'
const TS = 1_763_798_399_000

/** Values at and around every limit and type the schemas check. */
const ODD: unknown[] = [
  undefined, null, true, false, 0, -0, 1, -1, 1.5, 65535, 65536, NaN, Infinity, -Infinity,
  Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 2 ** 60, TS + 0.25, TS + 0.5, TS - 0.5, 0.4, 0.5, -0.4, Number.MAX_SAFE_INTEGER - 0.5, '', 'x', 'Login', 'a-b', 'x.y', 'ok',
  'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(200), 'x'.repeat(201), 'x'.repeat(500), 'x'.repeat(501),
  'x'.repeat(2000), 'x'.repeat(2001), '\ud800', UUID, UUID.toUpperCase(), '00000000-0000-0000-0000-000000000000',
  '0193a6a2-7c1e-9d4b-9a51-6f0e2f3b8c11', '0193a6a2-7c1e-7d4b-7a51-6f0e2f3b8c11', [], [1], {}, { a: 1 }, { w: 1, h: 2 }, { name: 'Windows' },
]
const KEYS = ['a', 'p1', 'method', 'path', 'rating', 'text', 'status', 'Bad-Key', '1a', 'x'.repeat(40), 'x'.repeat(41), 'constructor', 'toString', 'jane_roe_example_com']

function validProps(name: string): Record<string, unknown> {
  const specs = (CATALOG as Record<string, Record<string, PropSpec>>)[name] ?? {}
  const props: Record<string, unknown> = {}
  for (const [key, spec] of Object.entries(specs)) {
    if (spec.type === 'boolean') props[key] = true
    else if (spec.type === 'string') props[key] = spec.values?.[0] ?? (key === 'path' ? '/a' : 'abc')
    else props[key] = spec.min ?? 3
  }
  return props
}

function mutatedEvent(r: ReturnType<typeof random>): unknown {
  const name = r.next() < 0.7 ? r.pick(CATALOG_NAMES) : r.pick(['export.csv', 'x.y', 'custom_thing', 'Bad Name!'])
  const e: Record<string, unknown> = { id: UUID, name, ts: TS, props: validProps(name) }
  if (r.next() < 0.5) e.user_id = 'u-1'
  if (r.next() < 0.5) e.session_id = 's-1'
  if (r.next() < 0.3) e.org_id = 'o-1'
  const props = e.props as Record<string, unknown>
  for (let m = r.int(3); m > 0; m--) {
    const what = r.int(6)
    if (what === 0) e[r.pick(['id', 'name', 'ts', 'user_id', 'session_id', 'org_id', 'props'])] = r.pick(ODD)
    else if (what === 1) delete e[r.pick(['id', 'name', 'ts', 'user_id', 'session_id', 'org_id', 'props', 'extra'])]
    else if (what === 2) props[r.pick(KEYS)] = r.pick(ODD)
    else if (what === 3) delete props[r.pick(Object.keys(props).concat('a'))]
    else if (what === 4) for (let i = 0, n = LIMITS.maxPropsPerEvent - 2 + r.int(4); i < n; i++) props[`k${i}`] = i
    else e.extra = r.pick(ODD)
  }
  return r.next() < 0.03 ? r.pick(ODD) : e
}

function mutatedEnvelope(r: ReturnType<typeof random>): unknown {
  const env: Record<string, unknown> = { key: 'wk_x', sent_at: TS, events: [{}], context: { lang: 'de-DE', screen: { w: 1920, h: 1080 }, app_version: '4.2.1', deployment: 'cloud', os: { name: 'Windows', version: '11' } } }
  const ctx = env.context as Record<string, unknown>
  for (let m = r.int(3); m > 0; m--) {
    const what = r.int(5)
    if (what === 0) env[r.pick(['key', 'sent_at', 'context', 'events', 'extra'])] = r.pick(ODD)
    else if (what === 1) delete env[r.pick(['key', 'sent_at', 'context', 'events'])]
    else if (what === 2) ctx[r.pick(['lang', 'app_version', 'deployment', 'screen', 'os', 'extra'])] = r.pick(ODD)
    else if (what === 3) env.events = Array.from({ length: r.int(6) }, () => ({}))
    else if (typeof ctx.screen === 'object' && ctx.screen) (ctx.screen as Record<string, unknown>)[r.pick(['w', 'h'])] = r.pick(ODD)
  }
  return env
}

describe('fast path and zod agree', () => {
  it('on generated and mutated events: verdict, parsed value and message', () => {
    const r = random(14)
    let accepted = 0
    for (let i = 0; i < 20_000; i++) {
      const raw = mutatedEvent(r)
      const zod = eventSchema.safeParse(raw)
      verifyAgainstZod('event', raw, fastEvent(raw), zod)
      const viaRoute = parseEvent(raw)
      if (zod.success) accepted++
      else if (!viaRoute.ok && !viaRoute.reason.startsWith('prop key "__proto__"')) expect(viaRoute.reason).toBe(describeIssues(zod.error))
    }
    // Both verdicts are well represented, or the comparison would prove little.
    expect(accepted).toBeGreaterThan(3000)
    expect(accepted).toBeLessThan(17_000)
  })

  it('on generated and mutated envelopes, with the batch limit', () => {
    const r = random(15)
    const schema = createEnvelopeSchema(3)
    const parse = createEnvelopeParser(3)
    let accepted = 0
    for (let i = 0; i < 10_000; i++) {
      const raw = mutatedEnvelope(r)
      const zod = schema.safeParse(raw)
      verifyAgainstZod('envelope', raw, fastEnvelope(raw, 3), zod)
      const viaRoute = parse(raw)
      if (zod.success) accepted++
      else expect(viaRoute).toEqual({ ok: false, reason: describeIssues(zod.error) })
    }
    expect(accepted).toBeGreaterThan(1500)
    expect(accepted).toBeLessThan(8500)
  })

  it('on the envelope cases of the schema tests', () => {
    const schema = createEnvelopeSchema(3)
    for (const raw of [
      { key: 'wk_x', sent_at: 1, context: { lang: 'de-DE', screen: { w: 1920, h: 1080 }, os: { name: 'Windows' } }, events: [{}] },
      { events: [] }, { events: [1, 2, 3, 4] }, { events: [1], context: { lang: 'x'.repeat(65) } },
      { events: [1], context: { screen: { w: -1, h: 1 } } }, { events: [1], context: { app_version: 'x'.repeat(65) } }, { key: 'wk_x' },
      { events: [1], key: undefined, context: undefined }, { events: [1], context: { os: { name: 'x', version: undefined }, screen: undefined } },
    ]) verifyAgainstZod('envelope', raw, fastEnvelope(raw, 3), schema.safeParse(raw))
  })

  it('keeps inherited fields as zod reads them', () => {
    const raw: unknown = Object.assign(Object.create({ name: 'login' }) as object, { id: UUID, ts: TS })
    verifyAgainstZod('event', raw, fastEvent(raw), eventSchema.safeParse(raw))
  })
})

describe('verifyAgainstZod', () => {
  it('fails on a different verdict or a different value', () => {
    expect(() => verifyAgainstZod('event', {}, { a: 1 }, { success: false })).toThrow(/accepts a event that zod refuses/)
    expect(() => verifyAgainstZod('event', {}, undefined, { success: true, data: {} })).toThrow(/refuses/)
    expect(() => verifyAgainstZod('event', {}, { a: 1 }, { success: true, data: { a: 1, b: undefined } })).toThrow(/differently/)
    expect(() => verifyAgainstZod('event', {}, { a: 1 }, { success: true, data: { a: 1 } })).not.toThrow()
  })
})
