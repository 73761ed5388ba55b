// Numbers keep no identifying digits (issue 25): two significant digits or a coarser bucket.
// Personal numbers generated in several locales lose their identifying digits; durations keep
// their meaning: averages within 1 % and percentiles within 5 % of the exact ones.
import { describe, expect, it } from 'vitest'
import { fakerAR, fakerDE, fakerEN_US, fakerFR, fakerJA, fakerPT_BR, type Faker } from '@faker-js/faker'
import { roundNumber } from '../../../src/plan/round-number.ts'
import { compilePlan } from '../../../src/plan/compile-plan.ts'
import { resolvePlan } from '../../../src/plan/plan-schema.ts'

const FAKERS: Faker[] = [fakerDE, fakerEN_US, fakerFR, fakerJA, fakerPT_BR, fakerAR]
FAKERS.forEach((f, i) => f.seed(25_000 + i))

/** Significant digits of a stored number, as it would be written: 1800 -> 2, 0.012 -> 2. */
const significant = (v: number) => v.toExponential().split('e')[0]!.replace(/[-.]/g, '').replace(/0+$/, '').length

const digitsOf = (s: string) => Number(s.replace(/\D/g, ''))

describe('roundNumber', () => {
  it.each([
    [1840, 1800], [312, 310], [0.0123, 0.012], [-1840, -1800], [99, 99], [7, 7], [996, 1000], [105, 110], [0, 0], [7.25, 7.3],
  ])('stores %s as %s', (v, stored) => {
    expect(roundNumber(v)).toBe(stored)
  })

  it('uses a declared bucket where it is coarser than two digits', () => {
    expect(roundNumber(1840, 1000)).toBe(2000)
    expect(roundNumber(123_456, 1000)).toBe(120_000) // two digits are coarser here
    expect(roundNumber(0.33, 0.1)).toBe(0.3)
    expect(roundNumber(7, 5)).toBe(5)
  })

  it('leaves no identifying digits of phone, card, account and customer numbers of six locales', () => {
    let planted = 0
    for (const f of FAKERS) {
      for (let i = 0; i < 50; i++) {
        for (const v of [digitsOf(f.phone.number()), digitsOf(f.finance.creditCardNumber()), digitsOf(f.finance.accountNumber(10)), f.number.int({ min: 1e7, max: 1e12 })]) {
          const stored = roundNumber(v)
          expect(significant(stored), `${v} -> ${stored}`).toBeLessThanOrEqual(2)
          // What is kept is the magnitude: the planted number is not what is stored.
          expect(stored, String(v)).not.toBe(v)
          planted++
        }
      }
    }
    expect(planted).toBe(FAKERS.length * 200)
  })

  it('keeps a 16-digit value out of storage: out of bounds, or without its identifying digits', () => {
    const card = digitsOf(fakerDE.finance.creditCardNumber('mastercard'))
    expect(String(card)).toHaveLength(16)
    const plan = compilePlan(resolvePlan({ mode: 'open', events: { paid: { props: { amount: { kind: 'number', min: 0, max: 1e17 } } } } }))
    // Undeclared in an open plan: out of bounds.
    expect(plan.apply('checkout', { ref: card })).toMatchObject({ props: {}, dropped: [{ key: '[undeclared]', reason: 'out_of_bounds' }] })
    // Declared with bounds wide enough to take it: two digits are left.
    const kept = plan.apply('paid', { amount: card }) as unknown as { props: { amount: number } }
    expect(significant(kept.props.amount)).toBeLessThanOrEqual(2)
    expect(kept.props.amount).not.toBe(card)
    // The control: a value of two digits is stored as sent.
    expect(plan.apply('paid', { amount: 42 })).toMatchObject({ props: { amount: 42 } })
  })

  it('keeps averages of durations within 1 % and percentiles within 5 % of the exact ones', () => {
    for (const f of FAKERS) {
      // Durations over four orders of magnitude, skewed like real ones: many short, few long.
      const exact = Array.from({ length: 5000 }, () => Math.round(Math.exp(f.number.float({ min: Math.log(20), max: Math.log(600_000) }))))
      const stored = exact.map((v) => roundNumber(v))
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
      expect(Math.abs(mean(stored) / mean(exact) - 1)).toBeLessThan(0.01)
      const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!
      for (const q of [0.5, 0.95]) expect(Math.abs(pct(stored, q) / pct(exact, q) - 1)).toBeLessThan(0.05)
      // The rounding moved values, so the comparison above measures something.
      expect(stored.filter((v, i) => v !== exact[i]).length).toBeGreaterThan(4000)
    }
  })
})
