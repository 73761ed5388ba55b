// The official posthog-js and @segment/analytics-next, bundled from their npm packages with
// esbuild and served from a page on another local origin, in real headless Chromium against a
// real Veil node. They are configured only as a user would (the host; the browser presents a
// normal User-Agent), and any request to a host other than this machine fails the test.
import { readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { buildSync } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Browser, type BrowserContext } from 'playwright-core'
import { startTestServer, tempDir, type TestServer } from '../support/server.ts'
import { compatApp, everythingStored, runId, storedRows, until } from '../support/compat.ts'
import { launchChromium } from '../support/chromium.ts'

// Veil drops bots: headless Chromium calls itself "HeadlessChrome", so it presents as the
// browser people use (as in sdk-browser.test.ts). posthog-js also drops events of any browser
// with navigator.webdriver set, which automation always sets; its documented switch for
// end-to-end tests, opt_out_useragent_filter, is the one option set beyond the host.
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36'
// Beyond the route check below: no other host even resolves, so a request that Playwright does
// not report (a beacon from a page being left) cannot leave the machine either.
const EXTRA_ARGS = [`--user-agent=${USER_AGENT}`,
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost']

let veil: TestServer
let site: { url: string; close: () => Promise<void>; page: (path: string, html: string) => void }
let browser: Browser
let bundleDir: string
const app = compatApp('browser-compat')
const key = app.write_keys[0]!

/** The two SDKs as a site would bundle them: from the npm packages, exposed on window. */
function bundle(dir: string): void {
  const entries = {
    'posthog.js': "import posthog from 'posthog-js'; window.posthog = posthog",
    'segment.js': "import { AnalyticsBrowser } from '@segment/analytics-next'; window.AnalyticsBrowser = AnalyticsBrowser",
  }
  for (const [file, contents] of Object.entries(entries)) {
    buildSync({
      stdin: { contents, resolveDir: process.cwd(), loader: 'js' },
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      minify: true,
      define: { 'process.env.NODE_ENV': '"production"' },
      outfile: join(dir, file),
      logLevel: 'silent',
    })
  }
}

async function startSite(dir: string) {
  const pages = new Map<string, string>()
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname
    if (path === '/posthog.js' || path === '/segment.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(dir, path)))
      return
    }
    const html = pages.get(path)
    res.writeHead(html ? 200 : 404, { 'content-type': 'text/html' }).end(html ?? 'not found')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    page: (path: string, html: string) => void pages.set(path, html),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()) }),
  }
}

beforeAll(async () => {
  bundleDir = tempDir('veil-compat-bundle-')
  bundle(bundleDir)
  ;[veil, site, browser] = await Promise.all([
    startTestServer({ apps: [app] }),
    startSite(bundleDir),
    launchChromium(EXTRA_ARGS),
  ])
})

afterAll(async () => {
  await browser?.close()
  await site?.close()
  await veil?.stop()
  rmSync(bundleDir, { recursive: true, force: true })
})

/** A context in which every request to another host is refused and recorded. */
async function localOnly<T>(fn: (ctx: BrowserContext, foreign: string[], requests: string[]) => Promise<T>): Promise<T> {
  const ctx = await browser.newContext()
  const foreign: string[] = []
  const requests: string[] = []
  await ctx.route('**/*', (route) => {
    const url = new URL(route.request().url())
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') {
      requests.push(`${route.request().method()} ${url.pathname}${url.search}`)
      return route.continue()
    }
    foreign.push(url.href)
    return route.abort()
  })
  // Requests that no route sees (navigator.sendBeacon) are still reported here.
  ctx.on('request', (r) => {
    const url = new URL(r.url())
    if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost' && !foreign.includes(url.href)) foreign.push(url.href)
  })
  try {
    return await fn(ctx, foreign, requests)
  } finally {
    await ctx.close()
  }
}

describe('posthog-js in Chromium', () => {
  it('delivers a page view and a custom event, stored once, with nothing leaving this machine', async () => {
    const run = runId()
    site.page(`/shop/${run}/orders`, `<!doctype html><title>shop</title><script src="/posthog.js"></script>
<script>
  posthog.init(${JSON.stringify(key)}, { api_host: ${JSON.stringify(`${veil.url}/posthog`)}, opt_out_useragent_filter: true })
  posthog.identify('anna@example.com', { email: 'anna@example.com', name: 'Anna Beispiel' })
  posthog.capture('Report Run', { run: ${JSON.stringify(run)}, 'Report Kind': 'monthly' })
</script>`)
    await localOnly(async (ctx, foreign, requests) => {
      const page = await ctx.newPage()
      await page.goto(`${site.url}/shop/${run}/orders?email=anna@example.com`)

      const rows = await until(() => storedRows(veil, app.id, run), (r) => r.some((x) => x.name === 'page_view') && r.some((x) => x.name === 'report_run'), 'posthog-js events', 20_000)
      expect(rows.filter((r) => r.name === 'report_run')).toHaveLength(1)
      expect(rows.filter((r) => r.name === 'page_view').map((r) => r.props.path)).toEqual([`/shop/${run}/orders`])
      const report = rows.find((r) => r.name === 'report_run')!
      expect(report.props.report_kind).toBe('monthly')
      expect(report.browser).toMatch(/chrom/i)
      expect(report.session_hash).not.toBe('')
      expect(requests.some((r) => r.startsWith('POST /posthog/e/'))).toBe(true)
      expect(foreign).toEqual([])
    })
    const all = await everythingStored(veil, app.id)
    for (const secret of ['anna@example.com', 'Anna Beispiel', key]) expect(all).not.toContain(secret)
  })
})

describe('posthog-js on leaving the page', () => {
  it('delivers what was captured just before navigation (its unload path), once', async () => {
    const run = runId()
    site.page(`/leave/${run}`, `<!doctype html><title>shop</title><script src="/posthog.js"></script>
<script>
  posthog.init(${JSON.stringify(key)}, { api_host: ${JSON.stringify(`${veil.url}/posthog`)}, opt_out_useragent_filter: true, capture_pageview: false })
  window.leave = () => { posthog.capture('Checkout Left', { run: ${JSON.stringify(run)} }); location.href = '/elsewhere' }
</script>`)
    site.page('/elsewhere', '<!doctype html><title>elsewhere</title>')
    await localOnly(async (ctx, foreign) => {
      const page = await ctx.newPage()
      await page.goto(`${site.url}/leave/${run}`)
      await page.waitForFunction(() => 'leave' in window)
      await page.evaluate(() => (window as unknown as { leave: () => void }).leave())
      await page.waitForURL(/elsewhere/)
      const rows = await until(() => storedRows(veil, app.id, run), (r) => r.length > 0, 'the event sent on unload', 20_000)
      expect(rows.map((r) => r.name)).toEqual(['checkout_left'])
      expect(foreign).toEqual([])
    })
  })
})

describe('@segment/analytics-next in Chromium', () => {
  it('loads its settings from Veil and delivers page and track calls, with nothing leaving this machine', async () => {
    const run = runId()
    site.page(`/shop/${run}/cart`, `<!doctype html><title>shop</title><script src="/segment.js"></script>
<script>
  const analytics = AnalyticsBrowser.load({ writeKey: ${JSON.stringify(key)}, cdnURL: ${JSON.stringify(`${veil.url}/segment`)} })
  analytics.identify('anna@example.com', { email: 'anna@example.com', name: 'Anna Beispiel' })
  analytics.page()
  analytics.track('Report Run', { run: ${JSON.stringify(run)}, 'Report Kind': 'monthly' })
</script>`)
    await localOnly(async (ctx, foreign, requests) => {
      const page = await ctx.newPage()
      await page.goto(`${site.url}/shop/${run}/cart?email=anna@example.com`)
      const rows = await until(() => storedRows(veil, app.id, run), (r) => r.some((x) => x.name === 'page_view') && r.some((x) => x.name === 'report_run'), 'analytics.js events', 20_000)
      expect(rows.filter((r) => r.name === 'report_run')).toHaveLength(1)
      expect(rows.filter((r) => r.name === 'page_view').map((r) => r.props.path)).toEqual([`/shop/${run}/cart`])
      const report = rows.find((r) => r.name === 'report_run')!
      expect(report.props.report_kind).toBe('monthly')
      expect(report.browser).toMatch(/chrom/i)
      expect(report.user_hash).not.toBe('')
      expect(requests).toContain(`GET /segment/v1/projects/${key}/settings`)
      expect(foreign).toEqual([])
    })
    const all = await everythingStored(veil, app.id)
    for (const secret of ['anna@example.com', 'Anna Beispiel', key]) expect(all).not.toContain(secret)
  })
})
