// Errors as one-line log fields: ClickHouse's multi-line messages and their causes.
import { describe, expect, it } from 'vitest'
import { errorFields } from '../../../src/observability/log-error.ts'

describe('errorFields', () => {
  it('keeps a multi-line engine error on one line, with its code', () => {
    const e = Object.assign(new Error('Code: 241. DB::Exception: Memory limit exceeded\n\nStack trace:\n0. DB::Exception'), { code: '241' })
    const f = errorFields(e)
    expect(f).toEqual({ type: 'Error', message: 'Code: 241. DB::Exception: Memory limit exceeded Stack trace: 0. DB::Exception', code: '241' })
    expect(JSON.stringify(f)).not.toContain('\\n')
  })

  it("names the cause and takes the cause's code when the error has none", () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })
    expect(errorFields(new TypeError('fetch failed', { cause }))).toEqual({
      type: 'TypeError',
      message: 'fetch failed',
      code: 'ECONNREFUSED',
      cause: 'Error: connect ECONNREFUSED 127.0.0.1:9',
    })
  })

  it('describes what is thrown that is not an Error', () => {
    expect(errorFields('plain\ntext')).toEqual({ type: 'string', message: 'plain text' })
  })
})
