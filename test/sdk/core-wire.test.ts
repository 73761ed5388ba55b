// The small wire rules of sdk/core: batch fitting, response verdicts, ids, paths.
import { describe, expect, it } from 'vitest'
import { webcrypto } from 'node:crypto'
import { byteLength, fitBatch } from '../../sdk/core/batch.ts'
import { classifyStatus } from '../../sdk/core/outcome.ts'
import { cleanPath } from '../../sdk/core/path.ts'
import { createUuid } from '../../sdk/core/uuid.ts'

describe('fitBatch', () => {
  it('takes at most maxEvents events', () => {
    expect(fitBatch(Array(30).fill(10), 50, 25, 60_000)).toBe(25)
  })

  it('stops before the event that would pass maxBytes, counting envelope and separators', () => {
    // 100 + 3 * (300 + 1) = 1003 > 1000, 100 + 2 * 301 = 702
    expect(fitBatch([300, 300, 300], 100, 25, 1000)).toBe(2)
  })

  it('answers 0 when the first event alone is too large to send', () => {
    expect(fitBatch([5000, 10], 100, 25, 1000)).toBe(0)
  })

  it('counts bytes in UTF-8, not UTF-16 code units', () => {
    expect(byteLength('ä€😀')).toBe(2 + 3 + 4)
  })
})

describe('classifyStatus', () => {
  it('treats 2xx as sent', () => {
    expect(classifyStatus(202)).toBe('sent')
  })

  it('retries 408, 429, 5xx and network errors', () => {
    expect([408, 429, 500, 503, 0].map(classifyStatus)).toEqual(['retry', 'retry', 'retry', 'retry', 'retry'])
  })

  it('gives up on other 4xx', () => {
    expect([400, 401, 413, 415].map(classifyStatus)).toEqual(['drop', 'drop', 'drop', 'drop'])
  })
})

describe('createUuid', () => {
  it('uses crypto.randomUUID where the context has it', () => {
    expect(createUuid({ randomUUID: () => 'from-randomUUID', getRandomValues: (a) => a })).toBe('from-randomUUID')
  })

  it('falls back to getRandomValues outside secure contexts, still a v4 UUID', () => {
    const noRandomUuid = { getRandomValues: (a: Uint8Array<ArrayBuffer>) => webcrypto.getRandomValues(a) }
    const ids = new Set(Array.from({ length: 1000 }, () => createUuid(noRandomUuid)))
    expect(ids.size).toBe(1000)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })
})

describe('cleanPath', () => {
  it('removes query string and fragment', () => {
    expect(cleanPath('/reports/monthly?user=anna@example.com#top')).toBe('/reports/monthly')
    expect(cleanPath('/a#b?c')).toBe('/a')
  })

  it('keeps the root a path', () => {
    expect(cleanPath('?x=1')).toBe('/')
  })
})
