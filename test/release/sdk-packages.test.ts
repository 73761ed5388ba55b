// @veil/node and @veil/browser as an application gets them (issue 11): built by sdk/build.mjs,
// packed with `npm pack`, installed from the tarballs into a fresh app without a registry
// (--offline), type-checked there, and each sending an event to the real server: the Node one in
// plain node, the browser one bundled by esbuild from the app's node_modules and run in Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { type Browser } from 'playwright-core'
import { startTestServer, type TestServer } from '../support/server.ts'
import { readableEvents } from '../support/unseal.ts'
import { ROOT } from '../sdk/support/build-browser.ts'
import { startStaticServer, type StaticServer } from '../sdk/support/static-server.ts'
import { launchChromium } from '../support/chromium.ts'

const run = promisify(execFile)
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36'
let work: string
let appDir: string
let server: TestServer
let site: StaticServer
let browser: Browser
const tarballs: Record<string, string> = {}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'veil-packages-'))
  execFileSync(process.execPath, [join(ROOT, 'sdk/build.mjs'), '--packages', join(work, 'pkg')], { stdio: 'inherit' })
  for (const name of ['node', 'browser']) {
    const file = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: join(work, 'pkg', name), encoding: 'utf8' }).trim().split('\n').pop()!
    tarballs[name] = join(work, file)
  }
  appDir = join(work, 'app')
  mkdirSync(appDir)
  writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'an-app', private: true, type: 'module' }))
  // No registry: whatever the packages need must be in the tarballs.
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tarballs.node!, tarballs.browser!], { cwd: appDir, stdio: 'pipe' })
  ;[server, site, browser] = await Promise.all([
    startTestServer(),
    startStaticServer(work),
    // Headless Chromium calls itself HeadlessChrome, which the server drops as a bot.
    launchChromium([`--user-agent=${BROWSER_UA}`]),
  ])
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await site?.close()
  await server?.stop()
  if (work) rmSync(work, { recursive: true, force: true })
})

// Read with tokens opened: a run id one person sent is stored as a token (test/support/unseal.ts).
const storedRuns = async (run: string) =>
  (await readableEvents(server)).filter((r) => r.props.run === run).map((r) => r.name).sort()

describe('SDK packages', () => {
  it('pack with their package.json, ESM and declarations, and nothing of the sources', () => {
    const list = (t: string) => execFileSync('tar', ['tzf', t], { encoding: 'utf8' }).split('\n').filter(Boolean)
    const node = list(tarballs.node!)
    const web = list(tarballs.browser!)
    expect(node).toEqual(expect.arrayContaining(['package/package.json', 'package/dist/index.mjs', 'package/dist/index.d.mts', 'package/dist/types/node/index.d.ts']))
    expect(web).toEqual(expect.arrayContaining(['package/package.json', 'package/dist/veil.mjs', 'package/dist/veil.min.js', 'package/dist/veil.d.mts']))
    expect([...node, ...web].filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([])
    expect(readdirSync(join(appDir, 'node_modules', '@veil')).sort()).toEqual(['browser', 'node'])
  })

  it('type-check an application that imports both', () => {
    writeFileSync(
      join(appDir, 'check.mts'),
      `import { createVeil, type VeilError, type FlushResult } from '@veil/node'
       import { init, track, flush, stats, type Stats } from '@veil/browser'
       const v = createVeil({ endpoint: 'https://veil.example', key: 'wk_1', queueDir: '/tmp/q', onError: (e: VeilError) => void e.type })
       v.track('report_query', { report: 'r', duration_ms: 1, status: 'ok' })
       const r: Promise<FlushResult> = v.flush()
       init({ endpoint: 'https://veil.example', key: 'wk_1', route: (p) => p })
       track('rule_add', { rule_type: 'x' })
       const f: Promise<FlushResult> = flush()
       const s: Stats = stats()
       const same: Stats = v.stats()`,
    )
    const tsc = join(ROOT, 'node_modules/.bin/tsc')
    const r = (() => {
      try {
        return execFileSync(tsc, ['--ignoreConfig', '--noEmit', '--strict', '--module', 'nodenext', '--lib', 'es2022,dom', '--typeRoots', join(ROOT, 'node_modules/@types'), '--types', 'node', 'check.mts'], { cwd: appDir, encoding: 'utf8' })
      } catch (e) {
        return String((e as { stdout?: string }).stdout ?? e)
      }
    })()
    expect(r).toBe('')
  })

  it('send an event through @veil/node in plain node, and flush() says it was delivered', async () => {
    writeFileSync(
      join(appDir, 'app.mjs'),
      `import { createVeil } from '@veil/node'
       const veil = createVeil({ endpoint: process.env.VEIL_ENDPOINT, key: process.env.VEIL_KEY, queueDir: process.env.VEIL_QUEUE_DIR, captureExit: false })
       veil.track('rule_add', { rule_type: 'threshold', run: 'pkg-node' })
       const result = await veil.flush()
       await veil.shutdown()
       console.log(JSON.stringify({ result, stats: veil.stats() }))`,
    )
    // Asynchronously: the server answering it runs in this process.
    const { stdout: out } = await run(process.execPath, ['app.mjs'], {
      cwd: appDir,
      encoding: 'utf8',
      env: { ...process.env, VEIL_ENDPOINT: server.url, VEIL_KEY: server.writeKey, VEIL_QUEUE_DIR: join(work, 'queue') },
    })
    const { result, stats } = JSON.parse(out.trim().split('\n').pop()!) as { result: { delivered: number; queued: number }; stats: Record<string, unknown> }
    expect(result).toEqual({ delivered: 2, queued: 0 }) // app_start and rule_add
    expect(await storedRuns('pkg-node')).toEqual(['rule_add'])
    expect(Object.keys(stats).sort()).toEqual(['delivered', 'dropped', 'queued'])
    expect(Object.keys(stats.dropped as object).sort()).toEqual(['client_error', 'corrupt', 'dropped', 'queue_overflow', 'rejected', 'too_large'])
  })

  it('send an event through @veil/browser bundled from node_modules, with the same stats() shape', async () => {
    writeFileSync(join(appDir, 'page.js'), `import * as veil from '@veil/browser'\nwindow.veil = veil\n`)
    const bundle = await build({ absWorkingDir: appDir, entryPoints: ['page.js'], bundle: true, format: 'iife', write: false, target: 'es2019' })
    site.page('/pkg', `<!doctype html><title>app</title><script>${bundle.outputFiles[0]!.text}</script>`)
    const page = await browser.newPage()
    try {
      await page.goto(`${site.url}/pkg`)
      const out = await page.evaluate(
        async ({ endpoint, key }) => {
          const { veil } = window as unknown as { veil: typeof import('../../sdk/browser/index.ts') }
          veil.init({ endpoint, key, consent: 'granted', autoPageViews: false })
          veil.track('rule_add', { rule_type: 'threshold', run: 'pkg-browser' })
          return { result: await veil.flush(), stats: veil.stats() }
        },
        { endpoint: server.url, key: server.writeKey },
      )
      expect(out.result).toEqual({ delivered: 1, queued: 0 })
      expect(Object.keys(out.stats).sort()).toEqual(['delivered', 'dropped', 'queued'])
      expect(Object.keys(out.stats.dropped).sort()).toEqual(['client_error', 'corrupt', 'dropped', 'queue_overflow', 'rejected', 'too_large'])
    } finally {
      await page.close()
    }
    expect(await storedRuns('pkg-browser')).toEqual(['rule_add'])
  })
})
