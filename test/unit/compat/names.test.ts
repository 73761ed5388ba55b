// The name rule of the PostHog and Segment dialects (docs/compat.md, "The name rule").
import { describe, expect, it } from 'vitest'
import { cachedVeilName, propKey, screenPath, toSnakeName, veilName } from '../../../src/compat/names.ts'
import { LIMITS } from '../../../sdk/core/catalog.ts'

describe('toSnakeName', () => {
  it.each([
    ['Report Run', 'report_run'],
    ['report_run', 'report_run'],
    ['Order Completed!', 'order_completed'],
    ['  --Checkout  Step 2--', 'checkout_step_2'],
    ['cart.viewed', 'cart_viewed'],
    ['Größe geändert', 'gro_e_geandert'],
    ['$pageview', 'pageview'],
  ])('%s -> %s', (input, out) => expect(toSnakeName(input)).toBe(out))

  it('leaves names that cannot become valid invalid, so the pipeline rejects them', () => {
    for (const bad of ['123 go', '!!!', '', 'x'.repeat(65)]) expect(LIMITS.customNamePattern.test(toSnakeName(bad))).toBe(false)
  })
})

describe('veilName and cachedVeilName', () => {
  it('converts names by the rule, the same on every call', () => {
    expect(veilName('Report Run')).toBe('report_run')
    for (let i = 0; i < 3; i++) expect(cachedVeilName('Report Run')).toBe('report_run')
  })

  it('passes a name with a personal-data shape on unconverted, so the pipeline judges it as sent', () => {
    expect(veilName('Signed up anna@example.com')).toBe('Signed up anna@example.com')
    expect(cachedVeilName('Signed up anna@example.com')).toBe('Signed up anna@example.com')
    expect(LIMITS.customNamePattern.test(veilName('Order 12345678'))).toBe(false)
  })
})

describe('screenPath', () => {
  it('makes a path of a screen name, and :id of an id-like one', () => {
    expect(screenPath('Order Details')).toBe('/order_details')
    expect(screenPath('anna@example.com')).toBe('/:id')
    expect(screenPath('')).toBeUndefined()
    expect(screenPath(5)).toBeUndefined()
  })
})

describe('propKey', () => {
  it('converts keys by the rule and refuses what cannot be a key', () => {
    for (let i = 0; i < 2; i++) {
      expect(propKey('Report Name')).toBe('report_name')
      expect(propKey('1st')).toBeUndefined()
      expect(propKey('anna@example.com')).toBeUndefined()
      expect(propKey('x'.repeat(41))).toBeUndefined()
    }
  })
})
