// The tracking plan in the apps file (PRIVACY.md 12): checked at start with one message per
// problem; identifier keys cannot be declared as free values; the catalog is in every plan.
import { describe, expect, it } from 'vitest'
import { DEMO_PLAN, planSchema, resolvePlan } from '../../../src/plan/plan-schema.ts'
import { parseApps } from '../../../src/apps/apps.ts'

const problems = (plan: unknown) => {
  const r = planSchema.safeParse(plan)
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
}

describe('plan schema', () => {
  it('accepts the demo plan and an empty one', () => {
    expect(problems(DEMO_PLAN)).toEqual([])
    expect(problems({})).toEqual([])
  })

  it('refuses names and keys with unsafe shapes, naming where', () => {
    expect(problems({ events: { 'user.jane_roe_example_com': { props: {} } } })).toEqual([
      'events.user.jane_roe_example_com: event name looks like a domain or e-mail address',
    ])
    expect(problems({ events: { ok_event: { props: { tel_0171_2345: { kind: 'boolean' } } } } })[0]).toMatch(/^events\.ok_event\.props\.tel_0171_2345: prop key holds a run of 4 or more digits/)
    expect(problems({ events: { 'Bad Name': { props: {} } } })[0]).toMatch(/event names must match/)
  })

  it('refuses identifier keys declared as token, text or numbers, and allows them as enum or boolean', () => {
    for (const prop of [{ kind: 'token' }, { kind: 'text' }, { kind: 'integer', min: 0, max: 9 }]) {
      expect(problems({ events: { signed_up: { props: { username: prop } } } })).toEqual([
        'events.signed_up.props.username: "username" names a person or a record id; it can only be declared as enum or boolean',
      ])
    }
    expect(problems({ events: { signed_up: { props: { customer_uuid: { kind: 'boolean' }, user_name: { kind: 'enum', values: ['set', 'unset'] } } } } })).toEqual([])
  })

  it('refuses catalog events, enum values that are not tokens, bad patterns and misplaced options', () => {
    expect(problems({ events: { login: { props: {} } } })[0]).toMatch(/"login" is a catalog event/)
    expect(problems({ events: { e: { props: { tier: { kind: 'enum', values: ['gold', 'jane.roe'] } } } } })[0]).toMatch(/enum value "jane.roe" has a dot/)
    expect(problems({ events: { e: { props: { tier: { kind: 'enum' } } } } })[0]).toMatch(/an enum lists its values/)
    expect(problems({ events: { e: { props: { code: { kind: 'token', pattern: '[a-z]+' } } } } })[0]).toMatch(/anchored/)
    expect(problems({ events: { e: { props: { code: { kind: 'token', pattern: '^[a-z+$' } } } } })[0]).toMatch(/does not compile/)
    expect(problems({ events: { e: { props: { n: { kind: 'text', min: 1 } } } } })[0]).toMatch(/min, max and bucket are for number/)
    expect(problems({ events: { e: { props: { n: { kind: 'token', bucket: 10 } } } } })[0]).toMatch(/min, max and bucket are for number/)
    expect(problems({ events: { e: { props: { n: { kind: 'number', min: 0, max: 10, bucket: 0 } } } } })[0]).toMatch(/^events\.e\.props\.n\.bucket: /)
    expect(problems({ events: { e: { props: { n: { kind: 'float' } } } } })[0]).toMatch(/^events\.e\.props\.n\.kind: /)
    expect(problems({ mode: 'loose' })[0]).toMatch(/^mode: /)
  })

  it('refuses a number without bounds, saying what to add', () => {
    for (const kind of ['number', 'integer']) {
      for (const bounds of [{}, { min: 0 }, { max: 10 }]) {
        expect(problems({ events: { e: { props: { amount: { kind, ...bounds } } } } })).toEqual([
          'events.e.props.amount: a number declares its bounds: add "min" and "max" (the smallest and largest value it can take, e.g. 0 and 86400000 for a duration in ms); a value outside them is dropped, and values inside are stored with two significant digits unless "bucket" gives a coarser step',
        ])
      }
    }
    expect(problems({ events: { e: { props: { amount: { kind: 'number', min: 0, max: 1e6, bucket: 100 } } } } })).toEqual([])
  })

  it('refuses a token pattern that admits characters no token has: a pattern only narrows', () => {
    // The review's pattern: it stored a name with a street address, an IBAN, a phone and a card number.
    expect(problems({ events: { e: { props: { report_title: { kind: 'token', pattern: '^[A-Za-z0-9 ._,+:/-]{1,120}$' } } } } })).toEqual([
      'events.e.props.report_title: a token pattern can only narrow the token shape (letters, digits, _ . : -); the strict shapes (no digit runs, e-mail, domain or phone shapes) still apply on top of it; this one admits a space, ",", "+", "/"',
    ])
    const refused: [string, RegExp][] = [['^.+$', /any character \(\.\)/], ['^\\w+\\s\\w+$', /spaces/], ['^[^@]+$', /any character not listed/], ['^[a-z]+@[a-z]+$', /"@"/], ['^\\x20$', /a space/], ['^[!-~]{1,20}$', /"!"/]]
    for (const [pattern, why] of refused) {
      const [problem] = problems({ events: { e: { props: { code: { kind: 'token', pattern } } } } })
      expect(problem, pattern).toMatch(why)
    }
    for (const pattern of ['^[a-z][a-z0-9_]{0,30}$', '^(gold|silver)_tier$', '^[A-Z]{2}-\\d{2}$', '^(?!.*\\s)[a-z.]+$', '^(?<w>[a-z]+):\\k<w>$']) {
      expect(problems({ events: { e: { props: { code: { kind: 'token', pattern } } } } }), pattern).toEqual([])
    }
  })

  it('stops the start with the app and the path of each problem', () => {
    const apps = { apps: [{ id: 'a', write_keys: ['wk_aaaaaaaaaa'], plan: { events: { e: { props: { username: { kind: 'token' } } } } } }] }
    expect(() => parseApps(apps)).toThrow(/invalid apps file:\n {2}apps\.0\.plan\.events\.e\.props\.username: "username" names a person/)
  })

  it('puts the catalog into every plan, strict by default', () => {
    const plan = resolvePlan(undefined)
    expect(plan.mode).toBe('strict')
    expect(plan.events.page_view?.props.path).toEqual({ kind: 'path', required: true, max_length: 500 })
    expect(plan.events.app_crash?.props.message).toEqual({ kind: 'text' })
    expect(Object.keys(resolvePlan(DEMO_PLAN as never).events)).toContain('report_export')
  })
})
