// Segment calls to Veil wire events (docs/compat.md, "Segment"): the write key, the 32 KB
// limit, the mapping table, and what is dropped.
import { describe, expect, it } from 'vitest'
import { basicAuthUser, readSegmentBody, translateSegment } from '../../../src/compat/segment.ts'
import { compatEventId } from '../../../src/compat/common.ts'
import { testApp } from '../../support/server.ts'

/** The installation's compat id key, as SaltStore.compatKey gives one. */
const KEY = Buffer.alloc(32, 7)

const app = testApp('seg')
const now = Date.now()
const basic = (k: string) => `Basic ${Buffer.from(`${k}:`).toString('base64')}`
const events = (t: ReturnType<typeof translateSegment>) => t.parts.flatMap((p) => p.events) as Record<string, unknown>[]

describe('readSegmentBody', () => {
  it('takes the key from Basic auth first, then the body', () => {
    expect(readSegmentBody({ batch: [] }, 'batch', basic('wk_a')).key).toBe('wk_a')
    expect(readSegmentBody({ writeKey: 'wk_b', event: 'x' }, 'track', undefined).key).toBe('wk_b')
    expect(readSegmentBody({ batch: [{ writeKey: 'wk_c' }] }, 'batch', undefined).key).toBe('wk_c')
    expect(basicAuthUser('Bearer x')).toBeUndefined()
  })

  it('gives a single call the type of its path, and batch-wide context to every call', () => {
    expect(readSegmentBody({ event: 'x' }, 'track', undefined).messages[0]!.type).toBe('track')
    const b = readSegmentBody({ context: { locale: 'de-DE' }, batch: [{ type: 'track', context: { ip: '1.2.3.4' } }] }, 'batch', undefined)
    expect(b.messages[0]!.context).toEqual({ locale: 'de-DE', ip: '1.2.3.4' })
  })

  it('refuses a single call over 32 KB with 413, and a batch without "batch" with 400', () => {
    expect(() => readSegmentBody({ event: 'x', properties: { pad: 'a'.repeat(33_000) } }, 'track', undefined)).toThrow(/32768 bytes/)
    expect(() => readSegmentBody({ events: [] }, 'batch', undefined)).toThrow(/"batch"/)
  })
})

describe('translateSegment', () => {
  const body = (messages: Record<string, unknown>[]) => readSegmentBody({ batch: messages }, 'batch', basic('wk_k'))

  it('maps a track call: name rule, ids, props, context', () => {
    const ts = new Date(now - 1000).toISOString()
    const t = translateSegment(body([{
      type: 'track', event: 'Report Run', messageId: 'm1', userId: 'anna', anonymousId: 'anon', timestamp: ts,
      properties: { 'Report Name': 'x', rows: 3 },
      context: { groupId: 'acme', locale: 'de-DE', screen: { width: 800, height: 600 }, app: { version: '1.2.3' }, library: { name: 'analytics-node-next' }, os: { name: 'Linux' } },
    }]), app, now, KEY)
    expect(events(t)).toEqual([{ id: compatEventId(KEY, 'segment', 'seg', 'm1'), name: 'report_run', ts: now - 1000, user_id: 'anna', session_id: 'anon', org_id: 'acme', props: { report_name: 'x', rows: 3 } }])
    expect(t.parts[0]).toMatchObject({ serverSide: true, context: { lang: 'de-DE', screen: { w: 800, h: 600 }, app_version: '1.2.3', os: { name: 'Linux' } } })
  })

  it('maps page to page_view with the path of context.page, properties.path or the URL', () => {
    const t = translateSegment(body([
      { type: 'page', context: { page: { path: '/a' } }, properties: { title: 'T', url: 'https://x.example/zzz' } },
      { type: 'page', properties: { url: 'https://x.example/b?q=1' } },
    ]), app, now, KEY)
    expect(events(t).map((e) => e.props)).toEqual([{ path: '/a' }, { path: '/b' }])
    expect(t.tally.props.context).toBe(3)
  })

  it('maps screen to page_view with the screen name as path', () => {
    expect(events(translateSegment(body([{ type: 'screen', name: 'Order Details' }]), app, now, KEY))[0]).toMatchObject({ name: 'page_view', props: { path: '/order_details' } })
  })

  it('treats analytics.js calls as browser traffic: no OS from the body, the User-Agent decides', () => {
    const t = translateSegment(body([{ type: 'track', event: 'x', context: { library: { name: 'analytics.js' }, userAgent: 'Mozilla/5.0', os: { name: 'Windows' } } }]), app, now, KEY)
    expect(t.parts[0]).toMatchObject({ serverSide: false, context: {} })
  })

  it('drops identify, group and alias, counts traits, and drops unknown types', () => {
    const t = translateSegment(body([
      { type: 'identify', traits: { email: 'a@b.c', name: 'A' } },
      { type: 'group', groupId: 'g', traits: { name: 'G' } },
      { type: 'alias', previousId: 'p' },
      { type: 'track', event: 'x', context: { traits: { email: 'a@b.c' } } },
      { type: 'mystery' },
    ]), app, now, KEY)
    expect(events(t).map((e) => e.name)).toEqual(['x'])
    expect(t.tally.events).toEqual({ trait: 3, internal: 1 })
    expect(t.tally.props.trait).toBe(4)
  })

  it('drops a call over 32 KB in a batch and one with another app\'s writeKey', () => {
    const t = translateSegment(body([
      { type: 'track', event: 'big', properties: { pad: 'a'.repeat(33_000) } },
      { type: 'track', event: 'foreign', writeKey: 'wk_other' },
      { type: 'track', event: 'ok' },
    ]), app, now, KEY)
    expect(events(t).map((e) => e.name)).toEqual(['ok'])
    expect(t.tally.events).toEqual({ too_large: 1, key_mismatch: 1 })
  })

  it('uses context.ip only for an app that trusts it', () => {
    const b = body([{ type: 'track', event: 'x', context: { ip: '81.2.69.160' } }])
    expect(translateSegment(b, testApp('t', { trust_client_ip: true }), now, KEY).parts[0]!.clientIp).toBe('81.2.69.160')
    expect(translateSegment(b, app, now, KEY).parts[0]!.clientIp).toBeUndefined()
  })
})
