// put_geo with the real bundled DB-IP Lite database (PRIVACY.md 2): country and city from the
// truncated address, each family from its own file, nothing for private or unknown ranges.
import { describe, expect, it } from 'vitest'
import { createGeoLookup, createPutGeoStep, type GeoLookup } from '../../../../src/pipeline/steps/put-geo.ts'
import { requestState } from '../fixtures.ts'

const geo = createGeoLookup({ cacheSize: 100 })

describe('createGeoLookup (bundled DB-IP Lite)', () => {
  it('finds London, GB for 81.2.69.0', () => {
    expect(geo('81.2.69.0')).toEqual({ country: 'GB', city: 'London' })
  })

  it('finds the US for 8.8.8.0', () => {
    expect(geo('8.8.8.0').country).toBe('US')
  })

  it('looks up an IPv6 prefix in the IPv6 file', () => {
    expect(geo('2a00:1450:4001::').country).toBe('DE')
  })

  it.each([['10.0.0.0'], ['192.168.1.0'], ['127.0.0.0'], ['2001:db8::'], ['fd00::']])(
    'finds nothing for the private or reserved prefix %s',
    (prefix) => {
      expect(geo(prefix)).toEqual({ country: '', city: '' })
    },
  )

  it('returns country and city only: no coordinates, no postcode', () => {
    expect(Object.keys(geo('81.2.69.0')).sort()).toEqual(['city', 'country'])
    expect(Object.keys(geo('2a00:1450:4001::')).sort()).toEqual(['city', 'country'])
  })

  it('answers the same prefix from its cache with the same result', () => {
    expect(geo('8.8.8.0')).toBe(geo('8.8.8.0'))
  })
})

describe('put_geo step', () => {
  it('puts country and city from the prefix into the facts', () => {
    const out = createPutGeoStep(geo)(requestState({ ipPrefix: '81.2.69.0' }))
    expect(out.facts.country).toBe('GB')
    expect(out.facts.city).toBe('London')
  })

  it('looks up the truncated prefix, never the full address', () => {
    const asked: string[] = []
    const spy: GeoLookup = (prefix) => {
      asked.push(prefix)
      return { country: 'DE', city: 'Berlin' }
    }
    createPutGeoStep(spy)(requestState({ client: { ip: '81.2.69.160' }, ipPrefix: '81.2.69.0' }))
    expect(asked).toEqual(['81.2.69.0'])
  })

  it('leaves the facts empty when there is no prefix', () => {
    const asked: string[] = []
    const spy: GeoLookup = (prefix) => {
      asked.push(prefix)
      return { country: 'DE', city: 'Berlin' }
    }
    const out = createPutGeoStep(spy)(requestState({ ipPrefix: undefined }))
    expect(asked).toEqual([])
    expect(out.facts.country).toBe('')
    expect(out.facts.city).toBe('')
  })
})
