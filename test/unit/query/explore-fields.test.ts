// Explore's fields and parameters (src/query/explore-fields.ts, explore-params.ts): what a plan
// lets explore break down and filter by, number buckets from the plan's bounds, and the filter
// grammar, without an engine.
import { describe, expect, it } from 'vitest'
import { bucketWidth, fieldOf, fieldsOf } from '../../../src/query/explore-fields.ts'
import { BadQueryError, filterSchema, resolveExplore } from '../../../src/query/explore-params.ts'
import type { AppConfig } from '../../../src/apps/apps.ts'

const signup = {
  props: {
    plan: { kind: 'enum' as const, values: ['free', 'pro'] },
    trial: { kind: 'boolean' as const },
    seats: { kind: 'integer' as const, min: 0, max: 1000 },
    amount: { kind: 'number' as const, min: 0, max: 500, bucket: 25 },
    coupon: { kind: 'token' as const },
    region: { kind: 'enum' as const, values: ['north'], dimension: false },
  },
}
const app = { id: 'shop', write_keys: ['wk_abcdefgh'], read_keys: [], salt_rotation_hours: 24, honor_gpc: true, k_anonymity: 5, plan: { mode: 'strict', events: { signup } } } as AppConfig

describe('explore fields', () => {
  it('buckets a number by its plan step, else by a 1-2-5 step cutting its bounds into about ten', () => {
    expect(bucketWidth(signup.props.amount)).toBe(25)
    expect(bucketWidth(signup.props.seats)).toBe(100)
    expect(bucketWidth({ kind: 'number', min: 0, max: 3 })).toBeCloseTo(0.5)
  })

  it('offers the closed dimensions and the enum, boolean and number props that are not opted out', () => {
    expect(fieldsOf('signup', signup).map((f) => f.name)).toEqual([
      'country', 'browser', 'os', 'device', 'language', 'app_version', 'deployment', 'props.plan', 'props.trial', 'props.seats', 'props.amount',
    ])
    expect(fieldOf('signup', signup, 'props.coupon', 'x')).toMatch(/token: only enum, boolean, number and integer/)
    expect(fieldOf('signup', signup, 'props.region', 'x')).toMatch(/dimension: false/)
  })

  it('reads filters as field=v1,v2 joined by ; and refuses what is not', () => {
    expect(filterSchema.parse('country=DE,FR;props.plan=pro')).toEqual([{ field: 'country', values: ['DE', 'FR'] }, { field: 'props.plan', values: ['pro'] }])
    expect(filterSchema.safeParse('country').success).toBe(false)
    expect(filterSchema.safeParse('a=1;b=2;c=3;d=4').success).toBe(false)
    expect(filterSchema.safeParse('country=DE;country=FR').success).toBe(false)
  })

  it('refuses an event the plan does not declare and an enum value it does not list', () => {
    expect(() => resolveExplore(app, { event: 'checkout' })).toThrow(BadQueryError)
    expect(() => resolveExplore(app, { event: 'signup', filter: [{ field: 'props.plan', values: ['gold'] }] })).toThrow(/no value "gold"/)
    expect(resolveExplore(app, { event: 'signup', by: 'props.seats' }).by?.width).toBe(100)
  })
})
