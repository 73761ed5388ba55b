// drop_gpc (PRIVACY.md 9): Sec-GPC: 1 drops the request unless the app's owner turned that off.
import { describe, expect, it } from 'vitest'
import { createDropGpcStep } from '../../../../src/pipeline/steps/drop-gpc.ts'
import { isDrop } from '../../../../src/pipeline/types.ts'
import { app, requestState } from '../fixtures.ts'

describe('drop_gpc step', () => {
  const step = createDropGpcStep()

  it('drops a request with GPC when the app honours it, which is the default', () => {
    const out = step(requestState({ gpc: true }))
    expect(isDrop(out)).toBe(true)
    if (isDrop(out)) {
      expect(out.drop).toBe('gpc')
      expect(out.message).toMatch(/Global Privacy Control/)
    }
  })

  it('keeps a request with GPC when the app sets honor_gpc to false', () => {
    const req = requestState({ gpc: true, app: app({ honor_gpc: false }) })
    expect(step(req)).toBe(req)
  })

  it('keeps a request without GPC', () => {
    const req = requestState({ gpc: false })
    expect(step(req)).toBe(req)
  })
})
