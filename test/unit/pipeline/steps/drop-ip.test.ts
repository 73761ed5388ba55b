// drop_ip (PRIVACY.md 2): once the location is known, neither the address nor its prefix is kept.
import { describe, expect, it } from 'vitest'
import { createDropIpStep } from '../../../../src/pipeline/steps/drop-ip.ts'
import { requestState } from '../fixtures.ts'

describe('drop_ip step', () => {
  it('removes the prefix and the address but keeps the location', () => {
    const before = requestState({
      client: { ip: '81.2.69.160', userAgent: 'ua' },
      ipPrefix: '81.2.69.0',
      facts: { ...requestState().facts, country: 'GB', city: 'London' },
    })
    const out = createDropIpStep()(before)
    expect('ipPrefix' in out).toBe(false)
    expect(out.client.ip).toBeUndefined()
    expect(out.client.userAgent).toBe('ua')
    expect(out.facts.country).toBe('GB')
    expect(out.facts.city).toBe('London')
    expect(JSON.stringify(out)).not.toMatch(/81\.2\.69/)
  })
})
