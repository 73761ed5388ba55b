// clamp_time (PRIVACY.md 6): the client clock corrected by sent_at, a small future skew clamped
// to the receive time, events far in the future or past rejected with a message saying why.
import { describe, expect, it } from 'vitest'
import { createClampTimeStep, type TimeWindow } from '../../../../src/pipeline/steps/clamp-time.ts'
import { isDrop } from '../../../../src/pipeline/types.ts'
import { hashedEvent } from '../fixtures.ts'

const RECEIVED = 1_763_800_000_000
const MIN = 60_000
const HOUR = 3_600_000
const window = (overrides: Partial<TimeWindow> = {}): TimeWindow => ({
  receivedAt: RECEIVED,
  sentAt: undefined,
  maxAgeMs: 30 * 24 * HOUR,
  maxFutureMs: 60 * MIN,
  ...overrides,
})

describe('clamp_time step', () => {
  const step = createClampTimeStep()

  it('keeps an event as it is when there is no sent_at and ts is in the past', () => {
    const e = hashedEvent({ ts: RECEIVED - 5 * MIN })
    expect(step(e, window())).toBe(e)
  })

  it('corrects a client clock that runs 2 hours fast by the difference of sent_at and receive time', () => {
    const fast = 2 * HOUR
    const e = hashedEvent({ ts: RECEIVED - 10_000 + fast })
    const out = step(e, window({ sentAt: RECEIVED + fast }))
    expect(isDrop(out) ? out.message : out.ts).toBe(RECEIVED - 10_000)
  })

  it('corrects a client clock that runs behind', () => {
    const slow = 3 * HOUR
    const e = hashedEvent({ ts: RECEIVED - 1000 - slow })
    const out = step(e, window({ sentAt: RECEIVED - slow }))
    expect(isDrop(out) ? out.message : out.ts).toBe(RECEIVED - 1000)
  })

  it('clamps a small future skew to the receive time', () => {
    const out = step(hashedEvent({ ts: RECEIVED + 10 * MIN }), window())
    expect(isDrop(out) ? out.message : out.ts).toBe(RECEIVED)
  })

  it('accepts an event exactly at the future limit, clamped', () => {
    const out = step(hashedEvent({ ts: RECEIVED + 60 * MIN }), window())
    expect(isDrop(out) ? out.message : out.ts).toBe(RECEIVED)
  })

  it('rejects an event far in the future with a message giving the minutes and the limit', () => {
    const out = step(hashedEvent({ ts: RECEIVED + 5 * HOUR }), window())
    expect(isDrop(out)).toBe(true)
    if (!isDrop(out)) return
    expect(out.drop).toBe('too_far_in_future')
    expect(out.message).toBe('ts is 300 minutes in the future (after correcting by sent_at); at most 60 are accepted')
  })

  it('judges the future after correcting by sent_at', () => {
    // The client clock is 5 hours fast: its "5 hours ahead" event happened just now.
    const out = step(hashedEvent({ ts: RECEIVED + 5 * HOUR }), window({ sentAt: RECEIVED + 5 * HOUR }))
    expect(isDrop(out) ? out.message : out.ts).toBe(RECEIVED)
  })

  it('rejects an event older than the window with a message giving its age', () => {
    const out = step(hashedEvent({ ts: RECEIVED - 31 * 24 * HOUR }), window())
    expect(isDrop(out)).toBe(true)
    if (!isDrop(out)) return
    expect(out.drop).toBe('too_old')
    expect(out.message).toBe('ts is 744 hours old; events older than 720 hours are rejected')
  })

  it('accepts an event just inside the age window', () => {
    const ts = RECEIVED - 30 * 24 * HOUR + 1
    expect(step(hashedEvent({ ts }), window())).toMatchObject({ ts })
  })
})
