// normalise_path (PRIVACY.md 5, 13): props the plan declares `path` lose origin, query, fragment
// and ids; a valid router template in `route` is preferred to the path, and never stored itself.
import { describe, expect, it } from 'vitest'
import { createNormalisePathStep } from '../../../../src/pipeline/steps/normalise-path.ts'
import { hashedEvent } from '../fixtures.ts'

describe('normalise_path step', () => {
  const step = createNormalisePathStep()

  it('normalises the props declared path', () => {
    const out = step(hashedEvent({
      name: 'page_view',
      props: { path: '/orders/48213?token=abc#x', referrer_path: 'https://app.example.com/users/anna@example.com' },
      paths: ['path', 'referrer_path'],
    }))
    expect(out.props).toEqual({ path: '/orders/:id', referrer_path: '/users/:id' })
  })

  it('leaves props that are not declared path alone', () => {
    const out = step(hashedEvent({ props: { path: '/a/1', title: 'b', n: 5 }, paths: ['path'] }))
    expect(out.props).toEqual({ path: '/a/:id', title: 'b', n: 5 })
  })

  it('prefers a valid route template to the path, and does not store the route', () => {
    const out = step(hashedEvent({ name: 'page_view', props: { path: '/orders/jane-roe-order', route: '/orders/[orderId]' }, paths: ['path', 'route'] }))
    expect(out.props).toEqual({ path: '/orders/:id' })
  })

  it('falls back to the path when the "template" holds a value', () => {
    const out = step(hashedEvent({ name: 'page_view', props: { path: '/users/jane.roe', route: '/users/jane.roe' }, paths: ['path', 'route'] }))
    expect(out.props).toEqual({ path: '/users/:id' })
  })

  it('returns the same event when it has no path props', () => {
    const e = hashedEvent({ props: { report: 'x' } })
    expect(step(e)).toBe(e)
  })
})
