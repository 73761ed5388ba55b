// put_context (PRIVACY.md 13): the batch context reduced to ISO languages, numeric versions,
// closed lists and screen buckets; anything else is stored empty, never as sent.
import { describe, expect, it } from 'vitest'
import { createPutContextStep } from '../../../../src/pipeline/steps/put-context.ts'

describe('put_context step', () => {
  const step = createPutContextStep()

  it('keeps well-formed values in their coarse form', () => {
    expect(step({ lang: 'de-DE', app_version: '4.2.1', deployment: 'cloud', screen: { w: 1920, h: 1080 }, os: { name: 'macOS', version: '14.2.1' } })).toEqual({
      lang: 'de-DE', app_version: '4.2.1', deployment: 'cloud', screen_w: 1920, screen_h: 1080, os: { name: 'Mac OS', version: '14' },
    })
  })

  it('drops what could carry a person', () => {
    expect(step({ lang: 'x-jroe', app_version: '4.2.1+jane.roe', deployment: 'janes-pc', screen: { w: 1917, h: 1043 }, os: { name: "Jane Roe's MacBook", version: 'jroe.1' } })).toEqual({
      lang: '', app_version: '4.2.1', deployment: '', screen_w: 1600, screen_h: 1024, os: { name: 'other', version: '' },
    })
  })

  it('fills an empty context with empty facts', () => {
    expect(step(undefined)).toEqual({ lang: '', app_version: '', deployment: '', screen_w: 0, screen_h: 0, os: undefined })
  })
})
