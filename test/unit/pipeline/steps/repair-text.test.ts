// repair_text: lone UTF-16 surrogates anywhere in a row (columns, prop keys and values, metric
// keys) become U+FFFD; well-formed text, surrogate pairs included, is left as it is.
import { describe, expect, it } from 'vitest'
import { createToRowStep } from '../../../../src/pipeline/steps/to-row.ts'
import { createRepairTextStep } from '../../../../src/pipeline/steps/repair-text.ts'
import { NO_FACTS, batchFacts, hashedEvent } from '../fixtures.ts'

const toRow = createToRowStep()
const repair = createRepairTextStep()

describe('repair_text step', () => {
  it('replaces lone surrogates in the name, prop keys, prop values and metric keys', () => {
    const e = hashedEvent({ name: 'sign\ud800up', props: { ['k\udfff']: 'v\ud83d', plain: 'ok', ['n\ud800']: 3 } })
    const row = repair(toRow(e, { appId: 'a', receivedAt: 1, req: { facts: NO_FACTS }, batch: batchFacts({ app_version: '1.\udc00' }) }))
    expect(row[2]).toBe('sign\ufffdup')
    expect(row[9]).toEqual({ 'k\ufffd': 'v\ufffd', plain: 'ok' })
    expect(row[10]).toEqual({ 'n\ufffd': 3 })
    expect(row[21]).toBe('1.\ufffd')
    expect(JSON.stringify(row)).not.toMatch(/\\ud[89a-f]/i)
  })

  it('keeps well-formed text, emoji (surrogate pairs) included, unchanged', () => {
    const e = hashedEvent({ name: 'launch 🚀', props: { note: 'héllo 👋' } })
    const row = toRow(e, { appId: 'a', receivedAt: 1, req: { facts: NO_FACTS }, batch: batchFacts() })
    const copy = structuredClone(row)
    expect(repair(row)).toEqual(copy)
  })
})
