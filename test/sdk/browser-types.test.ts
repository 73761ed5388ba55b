// The ESM build ships TypeScript declarations: an app that imports veil.mjs gets the typed
// catalog events, and a wrong prop fails its build.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from './support/build-browser.ts'

let out: string
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'veil-sdk-types-'))
  execFileSync(process.execPath, [join(ROOT, 'sdk/build.mjs'), '--out', out], { stdio: 'inherit' })
})
afterAll(() => rmSync(out, { recursive: true, force: true }))

/** Type-checks an app module against the built declarations; returns tsc's output, '' when clean. */
function typecheck(source: string): string {
  const file = join(out, `app-${Math.random().toString(36).slice(2)}.mts`)
  writeFileSync(file, source)
  const tsc = join(ROOT, 'node_modules/.bin/tsc')
  const r = spawnSync(tsc, ['--ignoreConfig', '--noEmit', '--strict', '--module', 'nodenext', '--lib', 'es2022,dom', '--types', '', file], { encoding: 'utf8' })
  return r.stdout + r.stderr
}

describe('veil.mjs declarations', () => {
  it('type an app that uses the API correctly', () => {
    expect(
      typecheck(`import { init, track, page, login, consent, flush, stats, type VeilOptions, type VeilError, type Stats } from './veil.mjs'
        const o: VeilOptions = {
          endpoint: 'https://veil.example.com', key: 'wk_1', consent: 'pending', debug: true,
          onError: (e: VeilError) => console.log(e.type, e.count, e.reason), route: (p: string) => p.replace(/\\d+/g, ':id'),
        }
        init(o)
        track('report_query', { report: 'monthly_alarms', duration_ms: 12, status: 'ok' })
        track('my_feature.used', { n: 1 })
        page('/reports'); page('/orders/7', '/orders/:id'); login('u-1', { method: 'sso' }); consent('granted')
        const done: Promise<{ delivered: number; queued: number }> = flush()
        const s: Stats = stats(); const lost: number = s.dropped.rejected + s.dropped.dropped + s.delivered`),
    ).toBe('')
  })

  it('reject a catalog event without a required prop', () => {
    expect(typecheck(`import { track } from './veil.mjs'\ntrack('report_query', { report: 'r', status: 'ok' })`)).toMatch(/error TS/)
  })
})
