// shapeOfRejected (PRIVACY.md 1, 7, 13): the quarantine keeps the shape of a rejected event:
// safe names and keys, value types and lengths. Never a string value, scrubbed or not.
import { describe, expect, it } from 'vitest'
import { shapeOfRejected, valueShape } from '../../../src/ingest/quarantine-shape.ts'

const parse = (raw: unknown) => {
  const [name, json] = shapeOfRejected(raw)
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
    expect(event).toEqual({ name: 'string(1)', ts: 'number', props: { ok: 'boolean', n: 'null', list: 'array(1)', deep: 'object(1)' } })
    expect(json).not.toContain('4915112345678')
    expect(json).not.toContain('anna')
  })

  it('keeps a name and keys only when their shape is safe', () => {
    const { name, event, json } = parse({ name: 'user.jane_roe_example_com', props: { jroe_gmail_com: 1, rating: 2, ['a'.repeat(60)]: 3 } })
    expect(name).toBe('[unsafe name: 25 chars]')
    expect(Object.keys(event.props as object)).toEqual(['[key 0: 14 chars]', 'rating', '[key 2: 60 chars]'])
    expect(json).not.toContain('jane')
    expect(json).not.toContain('jroe')
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
    expect(shapeOfRejected('jane@example.com')).toEqual(['', '{"type":"string(16)"}'])
    expect(shapeOfRejected([1])).toEqual(['', '{"type":"array(1)"}'])
    expect(shapeOfRejected(null)).toEqual(['', '{"type":"null"}'])
    expect(valueShape(undefined)).toBe('undefined')
  })
})
