// scrub_strings (PRIVACY.md 5): every string prop, feedback text among them, is scrubbed;
// numbers, booleans and path props (normalise_path's job) are left to others.
import { describe, expect, it } from 'vitest'
import { createScrubStringsStep } from '../../../../src/pipeline/steps/scrub-strings.ts'
import { hashedEvent } from '../fixtures.ts'

describe('scrub_strings step', () => {
  const step = createScrubStringsStep()

  it('scrubs feedback text and other string props', () => {
    const out = step(hashedEvent({
      name: 'feedback',
      props: { text: 'Call me: +49 170 1234567 or anna@example.com', topic: 'billing for 12345678' },
    }))
    expect(out.props).toEqual({ text: 'Call me: [phone] or [email]', topic: 'billing for [number]' })
  })

  it('leaves numbers and booleans alone', () => {
    const out = step(hashedEvent({ props: { rows: 12345678, fatal: true } }))
    expect(out.props).toEqual({ rows: 12345678, fatal: true })
  })

  it('leaves path props to normalise_path', () => {
    const out = step(hashedEvent({ name: 'page_view', props: { path: '/u/anna@example.com', referrer_path: '/x?a=b' } }))
    expect(out.props).toEqual({ path: '/u/anna@example.com', referrer_path: '/x?a=b' })
  })

  it('returns the same event when there is nothing to scrub', () => {
    const e = hashedEvent({ props: { report: 'monthly_alarms', status: 'ok' } })
    expect(step(e)).toBe(e)
  })

  it('does not change the event it was given', () => {
    const e = hashedEvent({ props: { text: 'anna@example.com' } })
    step(e)
    expect(e.props.text).toBe('anna@example.com')
  })
})
