// No silent loss in the browser SDK (issue 11), in real headless Chromium against the real server:
// a wrong key, a rejection with its reason, a policy drop (a bot browser) and events left waiting
// for consent when the page goes each reach onError once, and the console in debug mode only;
// flush() resolves with what it delivered and what still waits, and tries even during a backoff
// pause. Also: the router's template travels as `route`, and a visitor without a login is counted
// once per device (its tabs and reloads), each tab with its own session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rmSync } from 'node:fs'
import { type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { VeilError, VeilOptions } from '../../sdk/browser/index.ts'
import { startTestServer, type TestServer } from '../support/server.ts'
import { readableEvents } from '../support/unseal.ts'
import { buildBrowserSdk } from '../sdk/support/build-browser.ts'
import { startStaticServer, type StaticServer } from '../sdk/support/static-server.ts'
import { launchChromium } from '../support/chromium.ts'

const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36'
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/140.0.0.0 Safari/537.36'

let server: TestServer
let site: StaticServer
let browser: Browser
let sdkDir: string

beforeAll(async () => {
  sdkDir = buildBrowserSdk()
  ;[server, site, browser] = await Promise.all([
    startTestServer(),
    startStaticServer(sdkDir),
    launchChromium([`--user-agent=${BROWSER_UA}`]),
  ])
  // The ES module, with every report kept in sessionStorage so that it outlives the page.
  site.page(
    '/app',
    `<!doctype html><script type="module">
      import * as veil from '/veil.mjs'
      window.veil = veil
      // numericIds: a router whose templates name numeric segments and a doc's slug :id (functions do not cross into the page).
      window.start = (o) => veil.init({ ...o, route: o.numericIds ? (p) => p.split('/').map((x, i, a) => /^[0-9]+$/.test(x) || a[i - 1] === 'docs' ? ':id' : x).join('/') : undefined, autoPageViews: false, onError: (e) => {
        const all = JSON.parse(sessionStorage.reports || '[]'); all.push(e); sessionStorage.reports = JSON.stringify(all)
      } })
    </script>`,
  )
  site.page('/elsewhere', '<!doctype html><title>no sdk here</title>')
})

afterAll(async () => {
  await browser?.close()
  await site?.close()
  await server?.stop()
  rmSync(sdkDir, { recursive: true, force: true })
})

type Veil = typeof import('../../sdk/browser/index.ts')
type Start = Omit<VeilOptions, 'onError' | 'route'> & { numericIds?: boolean }
type W = Window & { veil: Veil; start: (o: Start) => void }

async function open(ctx: BrowserContext, options: Partial<Start>): Promise<Page> {
  const page = await ctx.newPage()
  await page.goto(`${site.url}/app`)
  await page.waitForFunction(() => 'start' in window)
  await page.evaluate((o) => (window as unknown as W).start(o), { endpoint: server.url, key: server.writeKey, consent: 'granted' as const, ...options })
  return page
}
const reports = (page: Page) => page.evaluate(() => JSON.parse(sessionStorage.reports || '[]') as VeilError[])

async function withContext<T>(fn: (ctx: BrowserContext) => Promise<T>, userAgent?: string): Promise<T> {
  const ctx = await browser.newContext(userAgent ? { userAgent } : {})
  try {
    return await fn(ctx)
  } finally {
    await ctx.close()
  }
}

describe('browser SDK onError', () => {
  it('reports a wrong key with status 401 and the server\'s message, and counts the events', () =>
    withContext(async (ctx) => {
      const page = await open(ctx, { key: 'wk_not_a_key_of_this_server' })
      const out = await page.evaluate(async () => {
        const { veil } = window as unknown as W
        veil.track('rule_add', { rule_type: 'x' })
        veil.track('rule_add', { rule_type: 'y' })
        return { result: await veil.flush(), stats: veil.stats() }
      })
      expect(out.result).toEqual({ delivered: 0, queued: 0 })
      expect(await reports(page)).toEqual([{ type: 'unauthorized', status: 401, count: 2, message: expect.stringMatching(/unknown write key/) }])
      expect(out.stats.dropped.client_error).toBe(2)
    }))

  it('reports each rejected event with its reason, once, and delivers the others', () =>
    withContext(async (ctx) => {
      const page = await open(ctx, {})
      const result = await page.evaluate(async () => {
        const { veil } = window as unknown as W
        veil.track('report_query', { report: 'monthly', duration_ms: 'slow' as unknown as number, status: 'ok' })
        veil.track('rule_add', { rule_type: 'threshold' })
        const r = await veil.flush()
        await veil.flush()
        return r
      })
      expect(result).toEqual({ delivered: 1, queued: 0 })
      expect(await reports(page)).toEqual([{ type: 'rejected', count: 1, event: 'report_query', reason: expect.stringMatching(/duration_ms/), message: expect.any(String) }])
    }))

  it('reports events the server dropped (a bot browser) as dropped, with the policy, not as rejected', () =>
    withContext(async (ctx) => {
      const page = await open(ctx, {})
      const stats = await page.evaluate(async () => {
        const { veil } = window as unknown as W
        veil.track('rule_add', { rule_type: 'x' })
        await veil.flush()
        return veil.stats()
      })
      expect(await reports(page)).toEqual([{ type: 'dropped', count: 1, event: 'rule_add', reason: 'bot', message: expect.stringMatching(/bot/) }])
      expect(stats.dropped).toMatchObject({ dropped: 1, rejected: 0 })
    }, GOOGLEBOT))

  it('tells the app once that events still waiting for consent are lost when the page goes', () =>
    withContext(async (ctx) => {
      const page = await open(ctx, { consent: 'pending' })
      await page.evaluate(() => {
        const { veil } = window as unknown as W
        for (let i = 0; i < 3; i++) veil.track('rule_add', { rule_type: 'x' })
      })
      // Hidden first (a tab switch), then gone: both are unload signals; the report comes once.
      await page.evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true })
        document.dispatchEvent(new Event('visibilitychange'))
      })
      await page.goto(`${site.url}/elsewhere`)
      expect(await reports(page)).toEqual([{ type: 'consent_pending', count: 3, message: expect.any(String) }])
    }))

  it('writes reports to the console in debug mode, and only then', () =>
    withContext(async (ctx) => {
      const lines: string[] = []
      ctx.on('console', (m) => m.type() === 'warning' && lines.push(m.text()))
      for (const debug of [false, true]) {
        const page = await open(ctx, { key: 'wk_not_a_key_of_this_server', debug })
        await page.evaluate(async () => {
          const { veil } = window as unknown as W
          veil.track('rule_add', { rule_type: 'x' })
          await veil.flush()
        })
        await page.close()
      }
      expect(lines.filter((l) => l.startsWith('[veil]'))).toHaveLength(1)
    }))
})

describe('browser SDK flush()', () => {
  it('resolves with what it delivered and what still waits', () =>
    withContext(async (ctx) => {
      const page = await open(ctx, {})
      const results = await page.evaluate(async () => {
        const { veil } = window as unknown as W
        for (let i = 0; i < 30; i++) veil.track('rule_add', { rule_type: 'x', seq: i })
        return [await veil.flush(), await veil.flush()]
      })
      expect(results).toEqual([{ delivered: 30, queued: 0 }, { delivered: 0, queued: 0 }])
    }))

  it('tries again when called during a backoff pause while the server is down, and says what still waits', () =>
    withContext(async (ctx) => {
      const page = await open(ctx, { endpoint: 'http://127.0.0.1:9' })
      let attempts = 0
      page.on('requestfailed', (r) => r.url().endsWith('/v1/batch') && attempts++)
      const results = await page.evaluate(async () => {
        const { veil } = window as unknown as W
        veil.track('rule_add', { rule_type: 'x' })
        veil.track('rule_add', { rule_type: 'y' })
        // The first failure starts a backoff pause of at least half a second.
        return [await veil.flush(), await veil.flush()]
      })
      expect(results).toEqual([{ delivered: 0, queued: 2 }, { delivered: 0, queued: 2 }])
      await expect.poll(() => attempts).toBe(2)
      expect(await reports(page)).toEqual([]) // retryable: nothing is lost
    }))
})

describe('browser SDK page views and visitors', () => {
  it('sends the router\'s template as route, from the option or from page()', () =>
    withContext(async (ctx) => {
      const page = await open(ctx, { numericIds: true })
      await page.evaluate(async () => {
        const { veil } = window as unknown as W
        veil.page('/docs/getting-started') // the option's router makes it /docs/:id
        veil.page('/guides/welcome', '/guides/:slug')
        await veil.flush()
      })
      // The template is stored as the path (its parameters as :id), and route itself is not
      // stored; without it both paths would have been kept as they are (no segment looks like an id).
      // Read with tokens opened (one visitor's segments are tokens, PRIVACY.md 17; test/support/unseal.ts).
      const rows = (await readableEvents(server))
        .filter((r) => r.name === 'page_view' && ['/docs/:id', '/guides/:id', '/docs/getting-started', '/guides/welcome'].includes(r.props.path ?? ''))
        .map((r) => ({ path: r.props.path, route: r.props.route ?? '' }))
        // Both were sent in one flush, within the same millisecond: ordered by path, not by ts.
        .sort((a, b) => (a.path ?? '').localeCompare(b.path ?? ''))
      expect(rows).toEqual([{ path: '/docs/:id', route: '' }, { path: '/guides/:id', route: '' }])
    }))

  // One person's tabs and reloads on one device count once (docs/reports.md "The unit: people"):
  // the person is the device, while each tab keeps its own session.
  it('counts a visitor without a login as one person across a reload and another tab, each tab its own session', async () => {
    const hashes = await withContext(async (ctx) => {
      const tab = async (run: string, page?: Page) => {
        const p = page ?? (await open(ctx, {}))
        if (page) {
          await p.goto(`${site.url}/app`)
          await p.waitForFunction(() => 'start' in window)
          await p.evaluate((o) => (window as unknown as W).start(o), { endpoint: server.url, key: server.writeKey, consent: 'granted' as const })
        }
        await p.evaluate(async (run) => {
          const { veil } = window as unknown as W
          veil.track('rule_add', { rule_type: 'x', run })
          await veil.flush()
        }, run)
        return p
      }
      const first = await tab('visitor-a1')
      await tab('visitor-a2', first) // a reload in the same tab
      await tab('visitor-b') // another tab
      return (await readableEvents(server))
        .filter((r) => (r.props.run ?? '').startsWith('visitor-'))
        .map((r) => ({ run: r.props.run!, user_hash: r.user_hash, session_hash: r.session_hash, user_kind: r.user_kind }))
        .sort((x, y) => x.run.localeCompare(y.run))
    })
    expect(hashes.map((h) => h.user_kind)).toEqual(['visitor', 'visitor', 'visitor'])
    expect(hashes[0]!.user_hash).toMatch(/^[0-9a-f]{16}$/)
    expect(hashes[1]!.user_hash).toBe(hashes[0]!.user_hash)
    expect(hashes[2]!.user_hash).toBe(hashes[0]!.user_hash)
    expect(hashes[1]!.session_hash).toBe(hashes[0]!.session_hash)
    expect(hashes[2]!.session_hash).not.toBe(hashes[0]!.session_hash)
  })
})
