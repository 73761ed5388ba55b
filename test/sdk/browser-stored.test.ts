// What the browser SDK may write to localStorage (sdk/browser/stored.ts, PRIVACY.md 16): paths
// normalised before they are queued, and stored events without ids or free text.
import { describe, expect, it } from 'vitest'
import { pagePath, stored } from '../../sdk/browser/stored.ts'

describe('pagePath', () => {
  it('drops query and fragment and makes id-like segments :id', () => {
    expect(pagePath('/orders/4711/items?coupon=JANE#top')).toBe('/orders/:id/items')
    expect(pagePath('/invoices/0193a6a2-7c1e-7d4b-9a51-6f0e2f3b8c11')).toBe('/invoices/:id')
    expect(pagePath('/share/jane.roe@example.com')).toBe('/share/:id')
    expect(pagePath('/~jroe/files')).toBe('/:id/files')
  })

  it('makes the segment after a person collection :id, and keeps page words', () => {
    expect(pagePath('/users/jane.roe/settings')).toBe('/users/:id/settings')
    expect(pagePath('/profile/anna')).toBe('/profile/:id')
    expect(pagePath('/search/jane')).toBe('/search/:id')
    expect(pagePath('/settings/security')).toBe('/settings/security')
    expect(pagePath('/')).toBe('/')
    expect(pagePath('')).toBe('/')
  })
})

describe('stored', () => {
  it('leaves out ids and the text props, and keeps everything else', () => {
    const e = { id: 'e1', name: 'feedback', ts: 1, user_id: 'jane@example.com', org_id: 'acme', session_id: 's1', props: { rating: 2, text: 'call Jane', note: 'mine', topic: 'export' } }
    const s = stored(e, ['text', 'message', 'note'])
    expect(s).toEqual({ id: 'e1', name: 'feedback', ts: 1, user_id: undefined, org_id: undefined, session_id: 's1', props: { rating: 2, topic: 'export' } })
    expect(JSON.stringify(s)).not.toMatch(/jane|acme|call|mine/i)
    // The event in memory keeps them, for sending.
    expect(e.props.text).toBe('call Jane')
    expect(e.user_id).toBe('jane@example.com')
  })
})
