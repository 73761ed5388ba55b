// The typed `track` of both SDKs: catalog events are checked against catalog.ts (tsc runs over
// this file in `npm test`; a wrong prop below without its @ts-expect-error fails the build).
import { describe, expect, expectTypeOf, it } from 'vitest'
import type { CatalogProps } from '../../sdk/core/catalog.ts'
import type { Track } from '../../sdk/core/track-types.ts'
import type { Ids } from '../../sdk/node/index.ts'

/** A recording `track`, to show the typed calls also run. */
function recorder() {
  const calls: unknown[][] = []
  const track = ((...args: unknown[]) => void calls.push(args)) as Track<Ids>
  return { calls, track }
}

describe('typed track', () => {
  it('accepts catalog events with their props, optional props left out, and custom names', () => {
    const { calls, track } = recorder()
    track('report_query', { report: 'monthly_alarms', duration_ms: 1840, status: 'ok' })
    track('cm_data_import', { status: 'failed' })
    track('login')
    track('feedback', { rating: 4, text: 'fast' }, { userId: 'u-1' })
    track('export.pdf', { pages: 3 })
    expect(calls).toHaveLength(5)
  })

  it('rejects what the catalog forbids, at compile time', () => {
    const { track } = recorder()
    const compileOnly = () => {
      // @ts-expect-error duration_ms is required for report_query
      track('report_query', { report: 'r', status: 'ok' })
      // @ts-expect-error status of cm_data_import is ok or failed
      track('cm_data_import', { status: 'maybe' })
      // @ts-expect-error app_stop needs its props
      track('app_stop')
      // @ts-expect-error rating is a number
      track('feedback', { rating: 'five' })
    }
    expect(typeof compileOnly).toBe('function')
  })

  it('derives prop types from the catalog', () => {
    expectTypeOf<CatalogProps<'app_crash'>['fatal']>().toEqualTypeOf<boolean>()
    expectTypeOf<CatalogProps<'cm_data_import'>['status']>().toEqualTypeOf<'ok' | 'failed'>()
  })
})
