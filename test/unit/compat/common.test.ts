// The shared rules of the PostHog and Segment dialects: ids, times, paths, props and context
// fields (docs/compat.md).
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isEventId } from '../../../src/ingest/uuid-check.ts'
import { checkedContext, compatEventId, forwardedIp, groupParts, mapProps, newTally, pathOf, toEpochMs } from '../../../src/compat/common.ts'

describe('compatEventId', () => {
  const key = Buffer.alloc(32, 7)

  it('is the same for the same key, app and source id, a random-looking UUID of version 4', () => {
    const a = compatEventId(key, 'posthog', 'app', '0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11')
    expect(a).toBe(compatEventId(key, 'posthog', 'app', '0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11'))
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(isEventId(a)).toBe(true)
  })

  it('differs between keys, apps and dialects, and is not the source id nor its unkeyed hash', () => {
    const src = '0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11'
    const unkeyed = createHash('sha256').update(`veil-compat\0posthog\0a\0${src}`).digest('hex').slice(0, 8)
    const ids = [compatEventId(key, 'posthog', 'a', src), compatEventId(Buffer.alloc(32, 8), 'posthog', 'a', src), compatEventId(key, 'posthog', 'b', src), compatEventId(key, 'segment', 'a', src)]
    expect(new Set([...ids, src]).size).toBe(5)
    for (const id of ids) expect(id.startsWith(unkeyed)).toBe(false)
  })

  it('is always an id the event id check keeps, across many source ids', () => {
    for (let i = 0; i < 20_000; i++) expect(isEventId(compatEventId(key, 'segment', 'a', `m${i}`))).toBe(true)
  })

  it('is random without a usable source id', () => {
    expect(compatEventId(key, 'segment', 'a', undefined)).not.toBe(compatEventId(key, 'segment', 'a', undefined))
    expect(compatEventId(key, 'segment', 'a', 42)).not.toBe(compatEventId(key, 'segment', 'a', 42))
  })
})

describe('toEpochMs', () => {
  it('reads ISO strings, epoch ms, epoch seconds and digit strings', () => {
    const now = Date.now()
    expect(toEpochMs(new Date(now).toISOString())).toBe(now)
    expect(toEpochMs(now)).toBe(now)
    expect(toEpochMs(now / 1000)).toBe(now)
    expect(toEpochMs(String(now))).toBe(now)
  })

  it('returns undefined for anything else', () => {
    for (const v of ['yesterday', '', null, {}, -5, Number.NaN]) expect(toEpochMs(v)).toBeUndefined()
  })
})

describe('pathOf', () => {
  it('keeps the path of a URL or path, without query and fragment', () => {
    expect(pathOf('https://shop.example.com/a/b?email=x@y.z#top')).toBe('/a/b')
    expect(pathOf('/a/b?x=1#f')).toBe('/a/b')
    expect(pathOf('not a url')).toBeUndefined()
    expect(pathOf(5)).toBeUndefined()
  })
})

describe('mapProps', () => {
  it('converts keys by the name rule, keeps scalars, and counts what it drops', () => {
    const t = newTally()
    const out = mapProps(
      { 'Report Name': 'monthly', rows: 12, ok: true, nested: { a: 1 }, list: [1], nothing: null, '1st': 'x', $lib: 'web', report_name: 'dup', 'anna@example.com': 1 },
      t,
      (k) => (k.startsWith('$') ? 'dollar' : undefined),
    )
    expect(out).toEqual({ report_name: 'monthly', rows: 12, ok: true })
    expect(t.props).toEqual({ value: 3, key: 3, dollar: 1 })
  })

  it('drops Infinity and NaN', () => {
    const t = newTally()
    expect(mapProps({ a: Number.POSITIVE_INFINITY, b: Number.NaN }, t, () => undefined)).toEqual({})
    expect(t.props.value).toBe(2)
  })
})

describe('checkedContext', () => {
  it('maps fields that pass the wire schema and leaves out the others', () => {
    expect(checkedContext({ lang: 'en_US', w: 1920, h: 1080, app_version: '4.2.1', os: 'Linux', os_version: '6.1' })).toEqual({
      lang: 'en-US', screen: { w: 1920, h: 1080 }, app_version: '4.2.1', os: { name: 'Linux', version: '6.1' },
    })
    expect(checkedContext({ w: -1, h: 5, app_version: 'x'.repeat(100) })).toEqual({})
    // The wire schema takes any short language string; put_context then keeps only ISO ones.
    expect(checkedContext({ lang: 'not a language' })).toEqual({ lang: 'not a language' })
  })
})

describe('forwardedIp', () => {
  it('is used only when the app trusts it and it parses', () => {
    expect(forwardedIp('81.2.69.160', true)).toBe('81.2.69.160')
    expect(forwardedIp('81.2.69.160', false)).toBeUndefined()
    expect(forwardedIp('not an ip', true)).toBeUndefined()
  })
})

describe('groupParts', () => {
  it('keeps events of one sender together and splits senders apart, in order', () => {
    const parts = groupParts([
      { event: 1, context: { lang: 'de' }, serverSide: false },
      { event: 2, context: { lang: 'en' }, serverSide: false },
      { event: 3, context: { lang: 'de' }, serverSide: false },
      { event: 4, context: { lang: 'de' }, ip: '81.2.69.160', serverSide: false },
    ])
    expect(parts.map((p) => p.events)).toEqual([[1, 3], [2], [4]])
    expect(parts[2]!.clientIp).toBe('81.2.69.160')
  })
})
