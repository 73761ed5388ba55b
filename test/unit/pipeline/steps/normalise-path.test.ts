// normalise_path (PRIVACY.md 5): the path and referrer_path props lose query, fragment and ids.
import { describe, expect, it } from 'vitest'
import { createNormalisePathStep } from '../../../../src/pipeline/steps/normalise-path.ts'
import { hashedEvent } from '../fixtures.ts'

describe('normalise_path step', () => {
  const step = createNormalisePathStep()

  it('normalises path and referrer_path', () => {
    const out = step(hashedEvent({
      name: 'page_view',
      props: { path: '/orders/48213?token=abc#x', referrer_path: 'https://app.example.com/users/anna@example.com' },
    }))
    expect(out.props).toEqual({ path: '/orders/:id', referrer_path: '/users/:id' })
  })

  it('leaves other props alone', () => {
    const out = step(hashedEvent({ props: { path: '/a/1', title: '/b/2?x=1', n: 5 } }))
    expect(out.props).toEqual({ path: '/a/:id', title: '/b/2?x=1', n: 5 })
  })

  it('returns the same event when it has no path props', () => {
    const e = hashedEvent({ props: { report: 'monthly' } })
    expect(step(e)).toBe(e)
  })

  it('scrubs personal data the segment rules let through', () => {
    const out = step(hashedEvent({ props: { path: '/call/+49 170 1234567' } }))
    expect(out.props.path).toBe('/call/[phone]')
  })
})
