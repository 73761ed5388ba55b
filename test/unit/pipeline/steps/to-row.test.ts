// to_row: an anonymised event plus the request's coarse facts as one row in EVENT_COLUMNS order;
// strings and booleans go to props, numbers to metrics; on-prem OS facts fill in for a UA.
import { describe, expect, it } from 'vitest'
import { createToRowStep } from '../../../../src/pipeline/steps/to-row.ts'
import { EVENT_COLUMNS, type ClientFacts, type EventRow } from '../../../../src/pipeline/types.ts'
import { NO_FACTS, batchFacts, hashedEvent } from '../fixtures.ts'

const CLIENT: ClientFacts = {
  country: 'DE', city: 'Berlin', browser: 'Chrome', browser_version: '120', os: 'Windows', os_version: '10', device_type: 'desktop',
}

const named = (row: EventRow): Record<string, unknown> => Object.fromEntries(EVENT_COLUMNS.map((c, i) => [c, row[i]]))

describe('to_row step', () => {
  const step = createToRowStep()

  it('has one value per column of the events table', () => {
    const row = step(hashedEvent(), { appId: 'a', receivedAt: 1, req: { facts: CLIENT }, batch: batchFacts() })
    expect(row).toHaveLength(EVENT_COLUMNS.length)
  })

  it('puts strings and booleans into props and numbers into metrics', () => {
    const e = hashedEvent({ name: 'report_query', props: { report: 'monthly', status: 'ok', cached: false, duration_ms: 1840, rows: 0 } })
    const r = named(step(e, { appId: 'a', receivedAt: 1, req: { facts: CLIENT }, batch: batchFacts() }))
    expect(r.props).toEqual({ report: 'monthly', status: 'ok', cached: 'false' })
    expect(r.metrics).toEqual({ duration_ms: 1840, rows: 0 })
  })

  it('places each value in its column', () => {
    const e = hashedEvent({ id: '0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11', name: 'login', ts: 1000, user_hash: 'u1', session_hash: 's1', org_hash: 'o1', salt_period: 7 })
    const r = named(step(e, { appId: 'app-a', receivedAt: 2000, req: { facts: CLIENT }, batch: batchFacts() }))
    expect(r).toEqual({
      app_id: 'app-a', event_id: e.id, name: 'login', ts: 1000, received_at: 2000, user_hash: 'u1', session_hash: 's1',
      org_hash: 'o1', salt_period: 7, props: {}, metrics: {}, country: 'DE', city: 'Berlin', browser: 'Chrome',
      browser_version: '120', os: 'Windows', os_version: '10', device_type: 'desktop', lang: 'de-DE', screen_w: 1920,
      screen_h: 1080, app_version: '4.2.1', deployment: 'cloud', user_kind: 'user',
    })
  })

  it('stores who the user of record is', () => {
    const e = hashedEvent({ user_hash: 's1', session_hash: 's1', user_kind: 'visitor' })
    expect(named(step(e, { appId: 'a', receivedAt: 1, req: { facts: CLIENT }, batch: batchFacts() })).user_kind).toBe('visitor')
  })

  it('takes OS family and major version from the on-prem context when there was no User-Agent', () => {
    const batch = batchFacts({ deployment: 'onprem', os: { name: 'Windows Server', version: '2022.1.3' } })
    const r = named(step(hashedEvent(), { appId: 'a', receivedAt: 1, req: { facts: NO_FACTS }, batch }))
    expect([r.os, r.os_version]).toEqual(['Windows Server', '2022'])
  })

  it('prefers the User-Agent OS over the on-prem context', () => {
    const batch = batchFacts({ os: { name: 'Linux', version: '6.1' } })
    const r = named(step(hashedEvent(), { appId: 'a', receivedAt: 1, req: { facts: CLIENT }, batch }))
    expect([r.os, r.os_version]).toEqual(['Windows', '10'])
  })

  it('leaves OS empty when neither a User-Agent nor the context names one', () => {
    const r = named(step(hashedEvent(), { appId: 'a', receivedAt: 1, req: { facts: NO_FACTS }, batch: batchFacts() }))
    expect([r.os, r.os_version]).toEqual(['', ''])
  })
})
