// What an answer of POST /v1/batch tells the app (sdk/core/report.ts): one report per rejected or
// dropped event with its name and reason, one per refused request with its status.
import { describe, expect, it } from 'vitest'
import { newDropCounts, reportsOf } from '../../sdk/core/report.ts'

describe('reportsOf', () => {
  it('reports nothing for a batch that was wholly accepted', () => {
    expect(reportsOf(202, { accepted: 2, rejected: [], dropped: [] }, ['a', 'b'])).toEqual([])
  })

  it('names each rejected and dropped event with the server\'s reason', () => {
    const out = reportsOf(202, { accepted: 1, rejected: [{ index: 2, reason: 'props.x must be a number' }], dropped: [{ index: 0, reason: 'gpc', message: 'dropped: GPC' }] }, ['login', 'page_view', 'report_query'])
    expect(out).toEqual([
      { type: 'rejected', count: 1, event: 'report_query', reason: 'props.x must be a number', message: 'props.x must be a number' },
      { type: 'dropped', count: 1, event: 'login', reason: 'gpc', message: 'dropped: GPC' },
    ])
  })

  it('reports a 401 as unauthorized and other final 4xx as client errors, for the whole batch', () => {
    expect(reportsOf(401, { error: 'unknown write key' }, ['a', 'b'])).toEqual([{ type: 'unauthorized', status: 401, count: 2, message: 'unknown write key' }])
    expect(reportsOf(413, undefined, ['a'])).toEqual([{ type: 'client_error', status: 413, count: 1, message: 'HTTP 413' }])
  })

  it('reads an answer of an older server (no dropped field) without failing', () => {
    expect(reportsOf(202, { accepted: 1, rejected: [] }, ['a'])).toEqual([])
    expect(reportsOf(202, undefined, ['a'])).toEqual([])
  })
})

describe('newDropCounts', () => {
  it('has the keys both SDKs count, at zero', () => {
    expect(newDropCounts()).toEqual({ queue_overflow: 0, client_error: 0, rejected: 0, dropped: 0, too_large: 0, corrupt: 0 })
  })
})
