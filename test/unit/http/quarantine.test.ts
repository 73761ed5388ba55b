// sanitizeRejected (PRIVACY.md 1, 7): what the quarantine keeps of a rejected event is its
// shape with scrubbed, clipped values; identifiers are redacted, never kept, not even hashed.
import { describe, expect, it } from 'vitest'
import { sanitizeRejected } from '../../../src/http/quarantine.ts'

const parse = (raw: unknown) => {
  const [name, json] = sanitizeRejected(raw)
  return { name, event: JSON.parse(json) as Record<string, unknown>, json }
}

describe('sanitizeRejected', () => {
  it('redacts user_id, session_id and org_id', () => {
    const { event, json } = parse({ name: 'login', user_id: 'anna@example.com', session_id: 's-4711', org_id: 'customer-77' })
    expect(event).toMatchObject({ user_id: '[redacted]', session_id: '[redacted]', org_id: '[redacted]' })
    for (const raw of ['anna', 's-4711', 'customer-77']) expect(json).not.toContain(raw)
  })

  it('scrubs string values and prop values', () => {
    const { event } = parse({
      name: 'feedback',
      ts: 'yesterday',
      props: { text: 'mail anna@example.com or call +49 170 1234567', page: 'https://x.io/a?token=t0k3n' },
    })
    expect(event.ts).toBe('yesterday')
    expect(event.props).toEqual({ text: 'mail [email] or call [phone]', page: 'https://x.io/a[query]' })
  })

  it('keeps the shape: numbers, booleans and null as they are, arrays as their length', () => {
    const { event } = parse({ name: 'x', ts: 12, props: { ok: true, n: null, list: [1, 2, 3] } })
    expect(event).toEqual({ name: 'x', ts: 12, props: { ok: true, n: null, list: '[array of 3]' } })
  })

  it('does not descend into objects nested in props or beside them', () => {
    const { event } = parse({ name: 'x', props: { deep: { email: 'anna@example.com' } }, context: { a: 1 } })
    expect(event).toEqual({ name: 'x', props: { deep: '[object]' }, context: '[object]' })
  })

  it('clips long string values to 200 characters', () => {
    const { event } = parse({ name: 'x', props: { text: 'word '.repeat(200) } })
    const text = (event.props as Record<string, string>).text
    expect(text).toHaveLength(201)
    expect(text.endsWith('…')).toBe(true)
  })

  it('scrubs and clips keys, and the name', () => {
    const { name, event } = parse({ name: 'Anna@Example.com', props: { ['anna@example.com_' + 'k'.repeat(60)]: 1 } })
    expect(name).toBe('[email]')
    expect(Object.keys(event.props as object)).toEqual(['[email]_' + 'k'.repeat(32) + '…'])
  })

  it('keeps at most 20 fields and 30 props', () => {
    const raw: Record<string, unknown> = { props: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`p${i}`, i])) }
    for (let i = 0; i < 40; i++) raw[`f${i}`] = i
    const { event } = parse(raw)
    expect(Object.keys(event)).toHaveLength(20)
    expect(Object.keys(event.props as object)).toHaveLength(30)
  })

  it('leaves no part of an e-mail address that a cut at the scrubbing bound would have split', () => {
    // Ten long addresses shrink to [email] when scrubbed, which brings the end of the scrubbed
    // head into the first 200 characters; an address cut there must not survive in part.
    const text = 'someone.with.a.long.name@example.com '.repeat(10) + 'x'.repeat(10) + ' anna.schmidt@example.com'
    const { json } = parse({ name: 'feedback', props: { text } })
    expect(json).not.toContain('anna.schmidt')
  })

  it('scrubs only a bounded head of a huge name, so that a 1 MB name costs no more than a short one', () => {
    // Scrubbing a run without '@' costs the square of its length (seconds for 100 kB), so only
    // the head is scrubbed. The whole name would be one e-mail address; its head alone is a
    // possibly cut word, dropped rather than kept.
    expect(parse({ name: 'a.'.repeat(500_000) + '@example.com' }).name).toBe('…')
    expect(parse({ name: 'word '.repeat(200_000) }).name).toBe('word '.repeat(12) + 'word…')
  })

  it('describes a rejected event that is not an object by its type', () => {
    expect(sanitizeRejected('login')).toEqual(['', '{"type":"string"}'])
    expect(sanitizeRejected([1])).toEqual(['', '{"type":"array"}'])
    expect(sanitizeRejected(null)).toEqual(['', '{"type":"object"}'])
  })
})
