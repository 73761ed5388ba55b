// scrub_strings (PRIVACY.md 5, 12): the props apply_plan marked `text` are scrubbed; every other
// string was held to a strict shape by the plan and is not scanned (nor paid for).
import { describe, expect, it } from 'vitest'
import { createScrubStringsStep } from '../../../../src/pipeline/steps/scrub-strings.ts'
import { hashedEvent } from '../fixtures.ts'

describe('scrub_strings step', () => {
  const step = createScrubStringsStep()

  it('scrubs the props declared text', () => {
    const out = step(hashedEvent({
      name: 'feedback',
      props: { text: 'Call me: +49 170 1234567 or anna@example.com', topic: 'billing' },
      text: ['text'],
    }))
    expect(out.props).toEqual({ text: 'Call me: [phone] or [email]', topic: 'billing' })
  })

  it('leaves props that are not declared text to the shapes of the plan', () => {
    const e = hashedEvent({ props: { rows: 12345678, fatal: true, path: '/u/anna' }, paths: ['path'] })
    expect(step(e)).toBe(e)
  })

  it('does not change the event it was given', () => {
    const e = hashedEvent({ props: { text: 'anna@example.com' }, text: ['text'] })
    expect(step(e).props.text).toBe('[email]')
    expect(e.props.text).toBe('anna@example.com')
  })
})
