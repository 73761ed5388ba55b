// Typed tracking as an integrator gets it (issue 28), in `npm test`: @veil/node and @veil/browser
// built by sdk/build.mjs, packed with `npm pack`, installed from the tarballs into a scratch
// TypeScript project without a registry (--offline), the app's plan written there by
// `veil plan-types --out`, and the project's own tsc run on it: a declared event compiles, a
// misspelt one does not. (test/release/sdk-packages.test.ts runs the packages against a server.)
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { DEMO_PLAN } from '../../src/plan/plan-schema.ts'
import { tempDir } from '../support/server.ts'

const root = resolve(import.meta.dirname, '../..')
const work = tempDir('veil-package-types-')
const appDir = join(work, 'app')

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'sdk/build.mjs'), '--packages', join(work, 'pkg')], { stdio: 'pipe' })
  const tarballs = ['node', 'browser'].map((name) =>
    join(work, execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: join(work, 'pkg', name), encoding: 'utf8' }).trim().split('\n').pop()!),
  )
  mkdirSync(appDir)
  writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'an-app', private: true, type: 'module' }))
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', ...tarballs], { cwd: appDir, stdio: 'pipe' })
  // The plan's types as the integrator makes them, from the apps file.
  const apps = join(work, 'apps.json')
  writeFileSync(apps, JSON.stringify({ apps: [{ id: 'demo', write_keys: ['wk_packagestest1'], plan: DEMO_PLAN }] }))
  execFileSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'plan-types', 'demo', '--out', join(appDir, 'veil-plan.ts')], { cwd: root, env: { PATH: process.env.PATH!, APPS_FILE: apps }, stdio: 'pipe' })
}, 120_000)

/** The project's tsc (no registry needed) on one file of the app: its diagnostics, '' when it compiles. */
function typecheck(file: string): string {
  try {
    return execFileSync(join(root, 'node_modules/.bin/tsc'), ['--ignoreConfig', '--noEmit', '--strict', '--module', 'nodenext', '--lib', 'es2022,dom', '--typeRoots', join(root, 'node_modules/@types'), '--types', 'node', file], { cwd: appDir, encoding: 'utf8' })
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e)
  }
}

const app = (calls: string) =>
  `import { createVeil, type PlanTrack } from '@veil/node'
   import { track as pageTrack, type PlanTrack as PagePlanTrack, type CatalogName } from '@veil/browser'
   import type { VeilPlanEvents } from './veil-plan.js'
   const veil = createVeil({ endpoint: 'https://veil.example', key: 'wk_1', queueDir: '/tmp/q' })
   const track = veil.track as PlanTrack<VeilPlanEvents>
   const page = pageTrack as PagePlanTrack<VeilPlanEvents>
   const catalog: CatalogName = 'rule_add'
   ${calls}`

describe('typed tracking from the packed SDKs', () => {
  it('compiles events the plan declares, through PlanTrack from both entry points', () => {
    writeFileSync(join(appDir, 'typed.mts'), app(`track('report_export', { format: 'csv', rows: 12 }); page('report_export', { format: 'pdf' }); track(catalog, { rule_type: 'x' })`))
    expect(typecheck('typed.mts')).toBe('')
  })

  it('does not compile a misspelt event, nor a value the plan does not allow', () => {
    writeFileSync(join(appDir, 'misspelt.mts'), app(`track('report_exprot', { format: 'csv' }); page('report_exprot')`))
    expect(typecheck('misspelt.mts').match(/misspelt\.mts\(\d+,\d+\): error TS\d+: .*report_exprot/g)).toHaveLength(2)
    writeFileSync(join(appDir, 'wrong-value.mts'), app(`track('report_export', { format: 'docx' })`))
    expect(typecheck('wrong-value.mts')).toMatch(/wrong-value\.mts\(\d+,\d+\): error TS2322: Type '"docx"' is not assignable/)
  })
})
