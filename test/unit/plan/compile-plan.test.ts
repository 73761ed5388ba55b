// compilePlan: per-event checkers built once; undeclared events are rejected in strict plans,
// undeclared or ill-shaped props dropped with a reason, text and path props marked.
import { describe, expect, it } from 'vitest'
import { compilePlan } from '../../../src/plan/compile-plan.ts'
import { resolvePlan } from '../../../src/plan/plan-schema.ts'

const strict = compilePlan(resolvePlan({
  mode: 'strict',
  events: { report_export: { props: { format: { kind: 'enum', values: ['csv', 'pdf'], required: true }, rows: { kind: 'integer', min: 0 }, note: { kind: 'text', max_length: 20 } } } },
}))
const open = compilePlan(resolvePlan({ mode: 'open', events: {} }))

describe('strict plan', () => {
  it('measures a text limit on the normalised form: NFKC makes one U+FDFA 18 characters', () => {
    const fdfa = '\uFDFA'.repeat(2)
    expect(fdfa.length).toBe(2)
    expect(fdfa.normalize('NFKC').length).toBe(36)
    expect(strict.apply('report_export', { format: 'csv', note: fdfa })).toMatchObject({ props: { format: 'csv' }, dropped: [{ key: 'note', reason: 'invalid_value' }] })
    // The catalog's feedback text: 2,000 characters on the wire, 36,000 once normalised.
    const catalog = compilePlan(resolvePlan(undefined))
    expect(catalog.apply('feedback', { rating: 2, text: '\uFDFA'.repeat(2000) })).toMatchObject({ props: { rating: 2 }, dropped: [{ key: 'text', reason: 'invalid_value' }] })
    // Text that normalisation does not lengthen keeps its full limit, other scripts included.
    expect(strict.apply('report_export', { format: 'csv', note: 'ä'.repeat(20) })).toMatchObject({ props: { note: 'ä'.repeat(20) }, dropped: [] })
    expect(strict.apply('report_export', { format: 'csv', note: 'こんにちは'.repeat(4) })).toMatchObject({ dropped: [] })
  })

  it('keeps declared props, drops undeclared ones, and marks text and paths', () => {
    expect(strict.apply('report_export', { format: 'csv', rows: 3, note: 'slow', extra: 'x' })).toEqual({
      props: { format: 'csv', rows: 3, note: 'slow' }, dropped: [{ key: 'extra', reason: 'undeclared' }], text: ['note'], paths: [],
    })
    expect(strict.apply('page_view', { path: '/a', referrer_path: '/b' })).toMatchObject({ paths: ['path', 'referrer_path'] })
  })

  it('rejects an undeclared event, naming it only when its name is safe', () => {
    expect(strict.apply('checkout.started', {})).toEqual({ reject: 'not_in_plan', message: 'event "checkout.started" is not in the app\'s tracking plan; declare it (README "Tracking plan")' })
    const r = strict.apply('user.jane_roe_example_com', {})
    expect(JSON.stringify(r)).not.toContain('jane')
  })

  it('rejects a missing or invalid required prop, drops an invalid optional one', () => {
    expect(strict.apply('report_export', { rows: 1 })).toMatchObject({ reject: 'invalid_prop', message: 'props.format is required by the tracking plan' })
    expect(strict.apply('report_export', { format: 'docx' })).toMatchObject({ reject: 'invalid_prop', message: 'props.format must be one of csv, pdf' })
    expect(strict.apply('report_export', { format: 'pdf', rows: -1, note: 'x'.repeat(21) })).toMatchObject({
      props: { format: 'pdf' }, dropped: [{ key: 'rows', reason: 'invalid_value' }, { key: 'note', reason: 'invalid_value' }],
    })
  })

  it('holds catalog tokens to the token shape and the fingerprint to its hex pattern', () => {
    expect(strict.apply('login', { method: 'jane.roe' })).toMatchObject({ props: {}, dropped: [{ key: 'method', reason: 'invalid_value' }] })
    expect(strict.apply('report_query', { report: 'export for jane@example.com', duration_ms: 1, status: 'ok' })).toMatchObject({ reject: 'invalid_prop' })
    const crash = { error_type: 'TypeError', fatal: true }
    expect(strict.apply('app_crash', { ...crash, fingerprint: '0123456789abcdef' })).toMatchObject({ props: { fingerprint: '0123456789abcdef' } })
    expect(strict.apply('app_crash', { ...crash, fingerprint: '4915112345678' })).toMatchObject({ dropped: [{ key: 'fingerprint', reason: 'invalid_value' }] })
  })
})

describe('open plan', () => {
  it('keeps safe names, keys and token values', () => {
    expect(open.apply('export.clicked', { file_format: 'csv', n: 3, ok: true })).toMatchObject({ props: { file_format: 'csv', n: 3, ok: true }, dropped: [] })
  })

  it('still refuses unsafe names, identifier keys, unsafe values and numbers as long as a phone number', () => {
    expect(open.apply('user.jroe_gmail_com', {})).toMatchObject({ reject: 'invalid_prop' })
    expect(open.apply('x', { username: 'jroe', jane_roe_example_com: true, note: 'Jane Roe', ref: 4915112345678 })).toMatchObject({
      props: {},
      dropped: [
        { key: 'username', reason: 'identifier' },
        { key: 'jane_roe_example_com', reason: 'invalid_value' },
        { key: 'note', reason: 'invalid_value' },
        { key: 'ref', reason: 'invalid_value' },
      ],
    })
  })
})
