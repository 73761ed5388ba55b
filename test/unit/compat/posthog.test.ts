// PostHog payloads to Veil wire events (docs/compat.md, "PostHog"): body shapes, the token,
// the mapping table, and what is dropped.
import { describe, expect, it } from 'vitest'
import { readPostHogBody, translatePostHog } from '../../../src/compat/posthog.ts'
import { compatEventId } from '../../../src/compat/common.ts'
import { testApp } from '../../support/server.ts'

/** The installation's compat id key, as SaltStore.compatKey gives one. */
const KEY = Buffer.alloc(32, 7)

const app = testApp('ph', { trust_client_ip: true })
const noQuery = () => undefined
const now = Date.now()

function one(event: Record<string, unknown>) {
  const body = readPostHogBody({ api_key: 'wk_k', batch: [event] }, noQuery)
  const t = translatePostHog(body, app, now, KEY)
  return { t, events: t.parts.flatMap((p) => p.events) as Record<string, unknown>[] }
}

describe('readPostHogBody', () => {
  it('finds the token in api_key, token, or the first event\'s properties.token', () => {
    expect(readPostHogBody({ api_key: 'wk_a', batch: [] }, noQuery).key).toBe('wk_a')
    expect(readPostHogBody({ token: 'wk_b', event: 'x' }, noQuery).key).toBe('wk_b')
    expect(readPostHogBody([{ event: 'x', properties: { token: 'wk_c' } }], noQuery).key).toBe('wk_c')
  })

  it('takes sent_at from the body or posthog-js\'s `_` query parameter', () => {
    expect(readPostHogBody({ api_key: 'k', batch: [], sent_at: new Date(now).toISOString() }, noQuery).sentAt).toBe(now)
    expect(readPostHogBody([], (k) => (k === '_' ? String(now) : undefined)).sentAt).toBe(now)
  })

  it('refuses bodies that are no events', () => {
    expect(() => readPostHogBody('hello', noQuery)).toThrow(/PostHog event/)
    expect(() => readPostHogBody([1, 2], noQuery)).toThrow(/JSON object/)
  })
})

describe('translatePostHog', () => {
  it('maps a custom event: name rule, ids, props, context; $-properties dropped', () => {
    const ts = new Date(now - 1000).toISOString()
    const { t, events } = one({
      uuid: 'abc', event: 'Report Run', distinct_id: 'anna', timestamp: ts,
      properties: { $session_id: 's1', $groups: { company: 'acme' }, $browser_language: 'de-DE', $screen_width: 1280, $screen_height: 720, $lib: 'web', $os: 'Mac OS X', 'Report Name': 'm', token: 'wk_k', $referrer: 'https://google.com', $device_id: 'd1' },
    })
    expect(events).toEqual([{ id: compatEventId(KEY, 'posthog', 'ph', 'abc'), name: 'report_run', ts: now - 1000, user_id: 'anna', session_id: 's1', org_id: 'acme', props: { report_name: 'm' } }])
    // A browser's OS is the User-Agent's to say; the bot check must still run.
    expect(t.parts[0]!.context).toEqual({ lang: 'de-DE', screen: { w: 1280, h: 720 } })
    expect(t.parts[0]!.serverSide).toBe(false)
    expect(t.tally.props).toEqual({ dollar: 2 })
  })

  it('maps $pageview to page_view with the path of $pathname or $current_url', () => {
    expect(one({ event: '$pageview', properties: { $pathname: '/a/b' } }).events[0]).toMatchObject({ name: 'page_view', props: { path: '/a/b' } })
    expect(one({ event: '$pageview', properties: { $current_url: 'https://x.example/c/d?q=1' } }).events[0]).toMatchObject({ props: { path: '/c/d' } })
  })

  it('maps $screen to page_view with the screen name as path', () => {
    expect(one({ event: '$screen', properties: { $screen_name: 'Order Details' } }).events[0]).toMatchObject({ name: 'page_view', props: { path: '/order_details' } })
  })

  it('drops identify-style events and PostHog\'s own events, and counts them', () => {
    for (const event of ['$identify', '$set', '$create_alias', '$groupidentify']) {
      const { t, events } = one({ event, properties: { $set: { email: 'a@b.c' } } })
      expect(events).toEqual([])
      expect(t.tally.events).toEqual({ trait: 1 })
    }
    const { t, events } = one({ event: '$autocapture', properties: {} })
    expect(events).toEqual([])
    expect(t.tally.events).toEqual({ internal: 1 })
  })

  it('counts $set and $set_once on a normal event as dropped traits', () => {
    const { t, events } = one({ event: 'x', $set: { a: 1 }, properties: { $set_once: { b: 2 }, $set: { c: 3 } } })
    expect(events[0]!.props).toEqual({})
    expect(t.tally.props.trait).toBe(3)
  })

  it('treats non-web libraries as server-side, with their $os as context', () => {
    const { t } = one({ event: 'x', properties: { $lib: 'posthog-ios', $os: 'iOS', $os_version: '17.1', $app_version: '2.0.1' } })
    expect(t.parts[0]).toMatchObject({ serverSide: true, context: { os: { name: 'iOS', version: '17.1' }, app_version: '2.0.1' } })
  })

  it('uses $ip only for an app that trusts it', () => {
    const body = readPostHogBody({ api_key: 'wk_k', batch: [{ event: 'x', properties: { $ip: '81.2.69.160' } }] }, noQuery)
    expect(translatePostHog(body, app, now, KEY).parts[0]!.clientIp).toBe('81.2.69.160')
    expect(translatePostHog(body, testApp('plain'), now, KEY).parts[0]!.clientIp).toBeUndefined()
  })

  it('takes the time from timestamp, else sent_at minus offset, else sent_at', () => {
    const body = readPostHogBody({ api_key: 'k', sent_at: new Date(now).toISOString(), batch: [{ event: 'a', offset: 500 }, { event: 'b' }] }, noQuery)
    const events = translatePostHog(body, app, now + 99, KEY).parts.flatMap((p) => p.events) as { ts: number }[]
    expect(events.map((e) => e.ts)).toEqual([now - 500, now])
  })

  it('drops an event whose token is another app\'s', () => {
    const body = readPostHogBody([{ event: 'a', properties: { token: 'wk_k' } }, { event: 'b', properties: { token: 'wk_other' } }], noQuery)
    const t = translatePostHog(body, app, now, KEY)
    expect(t.parts.flatMap((p) => p.events)).toHaveLength(1)
    expect(t.tally.events).toEqual({ key_mismatch: 1 })
  })
})
