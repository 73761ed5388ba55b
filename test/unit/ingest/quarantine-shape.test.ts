// shapeOfRejected (PRIVACY.md 1, 7, 13, 17): the quarantine keeps the shape of a rejected
// event: names and keys the plan declares, value types and lengths. Never a string value,
// scrubbed or not, and never an undeclared name or key, whatever its shape.
import { describe, expect, it } from 'vitest'
import { fakerDE, fakerEN_US, fakerES, fakerFR, fakerPL, fakerSV, type Faker } from '@faker-js/faker'
import { shapeOfRejected, shownReason, valueShape } from '../../../src/ingest/quarantine-shape.ts'
import { compilePlan } from '../../../src/plan/compile-plan.ts'
import { resolvePlan } from '../../../src/plan/plan-schema.ts'

const plan = compilePlan(resolvePlan({ mode: 'open', events: { report_export: { props: { format: { kind: 'enum', values: ['csv', 'pdf'] } } } } }))

const parse = (raw: unknown) => {
  const [name, json] = shapeOfRejected(raw, plan)
  return { name, event: JSON.parse(json) as Record<string, unknown>, json }
}

describe('shapeOfRejected', () => {
  it('keeps identifiers as their type and length only', () => {
    const { event, json } = parse({ name: 'login', user_id: 'anna@example.com', session_id: 's-4711', org_id: 'customer-77' })
    expect(event).toEqual({ name: 'string(5)', user_id: 'string(16)', session_id: 'string(6)', org_id: 'string(11)' })
    for (const raw of ['anna', 's-4711', 'customer-77']) expect(json).not.toContain(raw)
  })

  it('keeps no string value, not even one that a scrubber would find harmless', () => {
    const { event, json } = parse({ name: 'feedback', ts: 'yesterday', props: { text: 'Jane Roe from Springfield', topic: 'billing' } })
    expect(event).toEqual({ name: 'string(8)', ts: 'string(9)', props: { text: 'string(25)', topic: 'string(7)' } })
    for (const raw of ['Jane', 'Springfield', 'billing', 'yesterday']) expect(json).not.toContain(raw)
  })

  it('keeps types for numbers, booleans, null, arrays and objects, never their content', () => {
    const { event, json } = parse({ name: 'x', ts: 4915112345678, props: { ok: true, n: null, list: ['a@b.de'], deep: { email: 'anna@example.com' } } })
    expect(event).toEqual({ name: 'string(1)', ts: 'number', props: { '[key 0: 2 chars]': 'boolean', '[key 1: 1 chars]': 'null', '[key 2: 4 chars]': 'array(1)', '[key 3: 4 chars]': 'object(1)' } })
    expect(json).not.toContain('4915112345678')
    expect(json).not.toContain('anna')
  })

  it('keeps a name and keys only when the plan declares them', () => {
    const { name, event, json } = parse({ name: 'user.jane_roe_example_com', props: { jroe_gmail_com: 1, rating: 2, ['a'.repeat(60)]: 3 } })
    expect(name).toBe('[undeclared name: 25 chars]')
    expect(Object.keys(event.props as object)).toEqual(['[key 0: 14 chars]', '[key 1: 6 chars]', '[key 2: 60 chars]'])
    expect(json).not.toContain('jane')
    expect(json).not.toContain('jroe')
    // Declared: the catalog's feedback and its rating, the plan's report_export and its format.
    expect(parse({ name: 'feedback', props: { rating: 9, anna_berg: true } })).toMatchObject({ name: 'feedback', event: { props: { rating: 'number', '[key 1: 9 chars]': 'boolean' } } })
    expect(parse({ name: 'report_export', props: { format: 'doc' } })).toMatchObject({ name: 'report_export', event: { props: { format: 'string(3)' } } })
  })

  it('keeps no undeclared name or key that names a person, in six locales, even in an open plan', () => {
    const fakers: Faker[] = [fakerDE, fakerEN_US, fakerES, fakerFR, fakerPL, fakerSV]
    fakers.forEach((f, i) => f.seed(2590 + i))
    const word = (s: string) => s.normalize('NFKD').toLowerCase().replace(/[^a-z]+/g, '_').replace(/^_+|_+$/g, '')
    let planted = 0
    for (const f of fakers) {
      for (let i = 0; i < 50; i++) {
        const person = `${word(f.person.firstName())}_${word(f.person.lastName())}`
        const raw = { name: `viewed_invoice_of_${person}`.slice(0, 64), ts: 'x', props: { [`note_for_${person}`.slice(0, 40)]: 1, [person.slice(0, 40)]: 'x' } }
        const [name, json] = shapeOfRejected(raw, plan)
        expect(name + json, person).not.toContain(person.slice(0, 12))
        planted++
      }
    }
    expect(planted).toBe(300)
  })

  it('shows a rejection reason without an undeclared key it names, and keeps a declared one', () => {
    const raw = { name: 'feedback', props: { rating: 1, lena_vogt: 'x'.repeat(501) } }
    expect(shownReason('props.lena_vogt is longer than 500 characters', raw, plan)).toBe('props.[undeclared] is longer than 500 characters')
    expect(shownReason('props.rating must be an integer', raw, plan)).toBe('props.rating must be an integer')
    expect(shownReason('ts must be epoch milliseconds', raw, plan)).toBe('ts must be epoch milliseconds')
  })

  it('keeps at most 30 fields and 30 props, and says how many more there were', () => {
    const raw: Record<string, unknown> = { props: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`p${String.fromCharCode(97 + (i % 26))}${i}`, i])) }
    for (let i = 0; i < 40; i++) raw[`f${i}`] = i
    const { event } = parse(raw)
    expect(Object.keys(event)).toHaveLength(31)
    expect(event['[more keys]']).toBe(11)
    expect(Object.keys(event.props as object)).toHaveLength(30)
  })

  it('describes a rejected event that is not an object by its type', () => {
    expect(shapeOfRejected('jane@example.com', plan)).toEqual(['', '{"type":"string(16)"}'])
    expect(shapeOfRejected([1], plan)).toEqual(['', '{"type":"array(1)"}'])
    expect(shapeOfRejected(null, plan)).toEqual(['', '{"type":"null"}'])
    expect(valueShape(undefined)).toBe('undefined')
  })
})
