// seal_values (PRIVACY.md 17): open-ended values become tokens unless published; declared names
// and enums stay; paths are sealed segment by segment; free text becomes its terms.
import { describe, expect, it } from 'vitest'
import { createSealValuesStep, fieldOf } from '../../../../src/pipeline/steps/seal-values.ts'
import { createValueSealer, type SealedRow } from '../../../../src/privacy/values/sealer.ts'
import { open, tokenOf, TOKEN_PATTERN } from '../../../../src/privacy/values/seal.ts'
import { valuesKey } from '../../../../src/privacy/values/keys.ts'
import type { PublishedSet } from '../../../../src/privacy/values/published-set.ts'
import { app, hashedEvent, requestState, saltedKeys } from '../fixtures.ts'

function publishedOf(entries: [string, string][]): PublishedSet {
  const s = new Set(entries.map(([f, v]) => `${f}\u0000${v}`))
  return { has: (_a, f, v) => s.has(`${f}\u0000${v}`), add: () => {}, refresh: async () => {}, size: () => s.size }
}

function setUp(published: [string, string][] = [], plan = app().plan) {
  const copies: SealedRow[] = []
  const sealer = createValueSealer({ published: publishedOf(published), write: async (rows) => void copies.push(...rows) })
  const step = createSealValuesStep(sealer)
  const ctx = { req: requestState({ app: app({ plan }) }), keys: saltedKeys() }
  const key = valuesKey(ctx.keys.salt, ctx.keys.appId, ctx.keys.period)
  return { step, ctx, copies, key }
}

const tick = () => new Promise((r) => setImmediate(r))

describe('seal_values step', () => {
  it('stores an unpublished token as its keyed digest and queues one sealed copy that opens to it', async () => {
    const { step, ctx, copies, key } = setUp()
    const out = step(hashedEvent({ name: 'report_query', props: { report: 'gehalt_mueller', status: 'ok', duration_ms: 12 } }), ctx)
    const token = tokenOf(key, fieldOf.value('report_query', 'report'), 'gehalt_mueller')
    expect(out.props.report).toBe(token)
    expect(out.props.report).toMatch(TOKEN_PATTERN)
    expect(out.props.duration_ms).toBe(12)
    step(hashedEvent({ name: 'report_query', props: { report: 'gehalt_mueller' } }), ctx)
    await tick()
    expect(copies).toHaveLength(2) // report and status, each once however often sent
    const copy = copies.find((c) => c[3] === token)!
    expect(copy[4]).not.toContain('mueller')
    expect(open(key, copy[2], token, copy[4])).toBe('gehalt_mueller')
  })

  it('keeps a published value, an enum and a boolean as they are', () => {
    const { step, ctx } = setUp([[fieldOf.value('report_query', 'report'), 'monthly_summary'], [fieldOf.value('report_query', 'status'), 'ok']])
    const e = hashedEvent({ name: 'report_query', props: { report: 'monthly_summary', status: 'ok' } })
    expect(step(e, ctx)).toBe(e)
    const imp = hashedEvent({ name: 'cm_data_import', props: { status: 'failed', fatal: true } })
    expect(step(imp, ctx).props.status).toBe('failed')
  })

  it('seals a path segment by segment: the published prefix and the :id template survive', () => {
    const { step, ctx, key } = setUp([[fieldOf.segment('page_view', 'path'), 'candidates'], [fieldOf.segment('page_view', 'path'), 'edit']])
    const out = step(hashedEvent({ name: 'page_view', props: { path: '/candidates/jane-doe/:id/edit' } }), ctx)
    expect(out.props.path).toBe(`/candidates/${tokenOf(key, fieldOf.segment('page_view', 'path'), 'jane-doe')}/:id/edit`)
    expect(step(hashedEvent({ name: 'page_view', props: { path: '/' } }), ctx).props.path).toBe('/')
  })

  it('gives the same segment one token in every path, and another in another period', () => {
    const { step, ctx } = setUp()
    const seg = (p: string, keys = ctx.keys) => String(step(hashedEvent({ name: 'page_view', props: { path: p } }), { ...ctx, keys }).props.path).split('/')[2]
    expect(seg('/a/jane-doe')).toBe(seg('/b/jane-doe'))
    expect(seg('/a/jane-doe', saltedKeys({ period: 20_416, salt: Buffer.alloc(32, 2) }))).not.toBe(seg('/a/jane-doe'))
  })

  it('keeps free text as its terms: published ones as they are, the rest as tokens', () => {
    const { step, ctx } = setUp([[fieldOf.word('feedback', 'text'), 'export'], [fieldOf.word('feedback', 'text'), 'slow']])
    const out = step(hashedEvent({ name: 'feedback', props: { text: 'Export is slow, says Jolanta Wierzbicka', rating: 2 } }), ctx)
    const terms = String(out.props.text).split('|')
    expect(terms.slice(0, 2)).toEqual(['export', 'slow'])
    expect(terms.slice(2).every((t) => TOKEN_PATTERN.test(t))).toBe(true)
    expect(String(out.props.text)).not.toMatch(/jolanta|wierzbicka/i)
  })

  it('seals an open plan\'s own event name and keys, never the catalog\'s or the plan\'s', () => {
    const { step, ctx } = setUp([], { mode: 'open', events: { export_run: { props: { format: { kind: 'enum', values: ['csv'] } } } } })
    const open1 = step(hashedEvent({ name: 'viewed_invoice_of_jane_doe', props: { theme: 'dark' } }), ctx)
    expect(open1.name).toMatch(TOKEN_PATTERN)
    expect(Object.keys(open1.props)).toHaveLength(1)
    expect(Object.keys(open1.props)[0]).toMatch(TOKEN_PATTERN)
    const declared = step(hashedEvent({ name: 'export_run', props: { format: 'csv' } }), ctx)
    expect(declared).toMatchObject({ name: 'export_run', props: { format: 'csv' } })
  })

  it('never stores a value shaped like a token as it is, published or not', () => {
    const fake = '~0123456789abcdef'
    const { step, ctx } = setUp([[fieldOf.value('report_query', 'report'), fake]])
    const out = step(hashedEvent({ name: 'report_query', props: { report: fake } }), ctx)
    expect(out.props.report).not.toBe(fake)
  })
})
