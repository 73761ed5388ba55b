// The terms of free text (PRIVACY.md 17): lower-case words of letters and adjacent bigrams,
// without stop words, placeholders of the detectors, or the words touching a placeholder.
import { describe, expect, it } from 'vitest'
import { MAX_TERMS, termsOf } from '../../../../src/privacy/values/words.ts'

describe('termsOf', () => {
  it('gives words and adjacent bigrams, lower-cased, each once', () => {
    expect(termsOf('Export is SLOW. Export slow!')).toEqual(['export', 'slow', 'export slow'])
  })

  it('drops stop words, which also break a phrase', () => {
    expect(termsOf('the report and the chart')).toEqual(['report', 'chart'])
  })

  it('drops placeholders and the words right beside them', () => {
    expect(termsOf('write to Kowalski [email] today please')).toEqual(['write', 'please'])
    expect(termsOf('[phone]')).toEqual([])
  })

  it('keeps letters of any script and no digits', () => {
    expect(termsOf('Größe über 42 Zeilen')).toEqual(['größe', 'zeilen'])
  })

  it('bounds the terms of one text', () => {
    const long = Array.from({ length: 200 }, (_, i) => `w${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`).join(' ')
    expect(termsOf(long.replace(/\d/g, ''))).toHaveLength(MAX_TERMS)
  })
})
