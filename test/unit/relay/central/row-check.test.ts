// The central check of relay rows (src/relay/central/row-check.ts), value by value: what the
// pipeline stores passes (tokens, sealed paths and texts, declared values), anything readable
// that the pipeline would have sealed or dropped does not.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { AppConfig } from '../../../../src/apps/apps.ts'
import { checkRelayRow } from '../../../../src/relay/central/row-check.ts'

const app: AppConfig = { id: 'shop', write_keys: ['wk_0123456789'], read_keys: [], salt_rotation_hours: 24, honor_gpc: true, k_anonymity: 5, plan: { mode: 'strict', events: {} } }
const T = '~0123456789abcdef'
const U = '~fedcba9876543210'

function row(name: string, props: Record<string, string>, metrics: Record<string, number> = {}): unknown[] {
  const at = 1_700_000_000_000
  return ['shop', randomUUID(), name, at, at, '0123456789abcdef', '', '', 1, props, metrics, '', '', '', '', 'Linux', '6', '', '', 0, 0, '', '', 'installation']
}
const check = (r: unknown) => checkRelayRow(r, (id) => (id === 'shop' ? app : undefined), ['shop'])

describe('checkRelayRow', () => {
  it('passes a catalog page view whose paths are sealed segments and router parameters', () => {
    expect(check(row('page_view', { path: `/${T}/:id/${U}`, route: '/:id' })).ok).toBe(true)
  })

  it('refuses a path with a readable segment', () => {
    expect(check(row('page_view', { path: '/users/jane.doe' })).ok).toBe(false)
  })

  it('passes a feedback text as sealed terms and refuses it readable', () => {
    expect(check(row('feedback', { text: `${T}|${U}`, topic: T }, { rating: 4 })).ok).toBe(true)
    expect(check(row('feedback', { text: 'the export is slow' }, { rating: 4 })).ok).toBe(false)
  })

  it('refuses a number outside the plan\'s bounds and a number under a string prop', () => {
    expect(check(row('feedback', {}, { rating: 9 })).ok).toBe(false)
    expect(check(row('feedback', {}, { topic: 3 })).ok).toBe(false)
  })

  it('refuses an event a strict plan does not declare, even sealed', () => {
    expect(check(row(T, {})).ok).toBe(false)
  })

  it('refuses a row that is not an events row at all', () => {
    expect(check({ app_id: 'shop' }).ok).toBe(false)
    expect(check([...row('page_view', { path: '/' }), 'extra']).ok).toBe(false)
  })
})
