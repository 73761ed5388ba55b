// The browser SDK in real headless Chromium against the real server on embedded ClickHouse:
// events land, survive navigation and a server outage (exactly once), and nothing is sent
// without consent or with Global Privacy Control set (PRIVACY.md 9).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rmSync } from 'node:fs'
import { type Browser, type BrowserContext } from 'playwright-core'
import type { WireBatch } from '../../sdk/core/catalog.ts'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { readableEvents } from '../support/unseal.ts'
import { buildBrowserSdk } from '../sdk/support/build-browser.ts'
import { startStaticServer, type StaticServer } from '../sdk/support/static-server.ts'
import { launchChromium } from '../support/chromium.ts'

// The server drops bots, and headless Chromium calls itself "HeadlessChrome": present as the
// browser people use. A flag rather than a per-context override, because requests that outlive
// their page (keepalive on pagehide) are sent without the page's overrides.
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36'
const EXTRA_ARGS = [`--user-agent=${USER_AGENT}`]

let server: TestServer
let site: StaticServer
let browser: Browser
let sdkDir: string
// The same app (and write key) across the restart in the outage test.
const app = testApp()

beforeAll(async () => {
  sdkDir = buildBrowserSdk()
  ;[server, site, browser] = await Promise.all([
    startTestServer({ apps: [app] }),
    startStaticServer(sdkDir),
    launchChromium(EXTRA_ARGS),
  ])
})

afterAll(async () => {
  await browser?.close()
  await site?.close()
  await server?.stop()
  rmSync(sdkDir, { recursive: true, force: true })
})

/** A page that loads the script tag the way an app embeds it. */
function scriptPage(path: string, attrs: Record<string, string> = {}): void {
  const data = Object.entries({ key: server.writeKey, endpoint: server.url, consent: 'granted', ...attrs })
    .map(([k, v]) => `data-${k}="${v}"`)
    .join(' ')
  site.page(path, `<!doctype html><title>app</title><script src="/veil.min.js" ${data} defer></script>`)
}


/** Batches any page of the context posts to a Veil endpoint, read from the requests themselves. */
function watchBatches(ctx: BrowserContext): WireBatch[] {
  const batches: WireBatch[] = []
  ctx.on('request', (r) => {
    if (r.url().endsWith('/v1/batch') && r.method() === 'POST') batches.push(JSON.parse(r.postData() ?? '{}') as WireBatch)
  })
  return batches
}

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (ok(v)) return v
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}; last: ${JSON.stringify(v)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Per event name: rows stored and distinct event ids among them. */
// Read with tokens opened: a run id one person sent is stored as a token (test/support/unseal.ts).
const rowsOf = async (run: string) => {
  const byName = new Map<string, string[]>()
  for (const r of (await readableEvents(server)).filter((x) => x.props.run === run)) byName.set(r.name, [...(byName.get(r.name) ?? []), r.event_id])
  return [...byName].sort(([a], [b]) => a.localeCompare(b)).map(([name, ids]) => ({ name, n: ids.length, ids: new Set(ids).size }))
}

async function withContext<T>(fn: (ctx: BrowserContext) => Promise<T>): Promise<T> {
  const ctx = await browser.newContext()
  try {
    return await fn(ctx)
  } finally {
    await ctx.close()
  }
}

/**
 * A page with consent that sends one event and waits until it is stored. Run after a page that
 * must send nothing: had it sent anything on unload, that would have arrived by now too.
 */
async function barrier(ctx: BrowserContext, run: string): Promise<void> {
  scriptPage('/barrier')
  const page = await ctx.newPage()
  await page.goto(`${site.url}/barrier`)
  await page.waitForFunction(() => 'veil' in window)
  await page.evaluate(async (run) => {
    const { veil } = window as unknown as { veil: typeof import('../../sdk/browser/index.ts') }
    veil.track('rule_add', { run })
    await veil.flush()
  }, run)
  await until(() => rowsOf(run), (r) => r.length > 0, 'the barrier event')
  await page.close()
}

describe('browser SDK in Chromium', () => {
  it('delivers tracked events and page views to ClickHouse, cross-origin, without cookies or query strings', async () => {
    scriptPage('/app/reports')
    await withContext(async (ctx) => {
      const batches = watchBatches(ctx)
      const page = await ctx.newPage()
      const types: string[] = []
      page.on('request', (r) => r.url().endsWith('/v1/batch') && types.push(`${r.method()} ${r.headers()['content-type']} ${r.headers().cookie ?? ''}`))
      await page.goto(`${site.url}/app/reports?customer=anna@example.com#top`)
      await page.waitForFunction(() => 'veil' in window)
      await page.evaluate(async () => {
        const { veil } = window as unknown as { veil: typeof import('../../sdk/browser/index.ts') }
        veil.login('anna.schmidt', { method: 'sso', run: 'land' })
        veil.track('report_query', { report: 'monthly_alarms', duration_ms: 1840, rows: 312, status: 'ok', run: 'land' })
        veil.feedback({ rating: 5, topic: 'reports' })
        history.pushState({}, '', '/app/rules?tab=2')
        for (let i = 0; i < 30; i++) veil.track('rule_add', { rule_type: 'threshold', run: 'land' })
        await veil.flush()
      })
      expect(await rowsOf('land')).toEqual([
        { name: 'login', n: 1, ids: 1 },
        { name: 'report_query', n: 1, ids: 1 },
        { name: 'rule_add', n: 30, ids: 30 },
      ])
      const viewIds = new Set(batches.flatMap((b) => b.events).filter((e) => e.name === 'page_view').map((e) => e.id))
      const stored = await readableEvents(server)
      const views = stored.filter((r) => r.name === 'page_view' && viewIds.has(r.event_id)).map((r) => ({ path: r.props.path, screen_w: r.screen_w, browser: r.browser }))
      expect(views.map((v) => v.path)).toEqual(['/app/reports', '/app/rules'])
      // After login the user is on every event, hashed by the server, never raw.
      const [query] = stored.filter((r) => r.name === 'report_query' && r.props.run === 'land')
      expect(query!.user_hash).not.toBe('')
      expect(query!.user_hash).not.toContain('anna')
      expect(views[0]!.screen_w).toBeGreaterThan(0)
      expect(views[0]!.browser).toMatch(/chrom/i)
      // At most 25 events per request (LIMITS.sdkMaxEventsPerRequest); a simple text/plain POST, no cookie.
      expect(Math.max(...batches.map((b) => b.events.length))).toBeLessThanOrEqual(25)
      expect(new Set(types)).toEqual(new Set(['POST text/plain;charset=UTF-8 ']))
      expect(batches.every((b) => b.key === server.writeKey && typeof b.sent_at === 'number')).toBe(true)
      expect(JSON.stringify(batches)).not.toContain('anna@example.com')
    })
  })

  it('delivers events tracked just before the page navigates away', async () => {
    scriptPage('/leave')
    site.page('/elsewhere', '<!doctype html><title>no sdk here</title>')
    await withContext(async (ctx) => {
      const page = await ctx.newPage()
      await page.goto(`${site.url}/leave`)
      await page.waitForFunction(() => 'veil' in window)
      // The batch timer is 5 s: only the pagehide handler can send these before the page is gone.
      await page.evaluate(() => {
        const { veil } = window as unknown as { veil: typeof import('../../sdk/browser/index.ts') }
        for (let i = 0; i < 3; i++) veil.track('label_add', { label_type: 'machine', run: 'unload' })
      })
      await page.goto(`${site.url}/elsewhere`)
    })
    const rows = await until(() => rowsOf('unload'), (r) => r.length > 0, 'events sent on pagehide')
    expect(rows).toEqual([{ name: 'label_add', n: 3, ids: 3 }])
  })

  it('keeps events in localStorage while the server is down and delivers them exactly once after a reload', async () => {
    scriptPage('/offline')
    await withContext(async (ctx) => {
      const page = await ctx.newPage()
      const { port, dataDir } = server
      await server.stop()
      await page.goto(`${site.url}/offline`)
      await page.waitForFunction(() => 'veil' in window)
      const stored = await page.evaluate(async () => {
        const { veil } = window as unknown as { veil: typeof import('../../sdk/browser/index.ts') }
        for (let i = 0; i < 5; i++) veil.track('rule_change', { rule_type: 'threshold', run: 'offline', seq: i })
        await veil.flush() // fails: connection refused; the events stay
        return Object.keys(localStorage).filter((k) => k.startsWith('veil_q')).flatMap((k) => JSON.parse(localStorage.getItem(k)!)) as { name: string }[]
      })
      expect(stored.filter((e) => e.name === 'rule_change')).toHaveLength(5)

      server = await startTestServer({ port, dataDir, apps: [app] })
      await page.reload()
      await page.waitForFunction(() => 'veil' in window)
      await page.evaluate(async () => {
        const { veil } = window as unknown as { veil: typeof import('../../sdk/browser/index.ts') }
        await veil.flush()
      })
      await until(() => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('veil_q')).flatMap((k) => JSON.parse(localStorage.getItem(k)!)).length), (n) => n === 0, 'an empty store')
    })
    const rows = await until(() => rowsOf('offline'), (r) => r.length > 0, 'the persisted events')
    expect(rows).toEqual([{ name: 'rule_change', n: 5, ids: 5 }])
  })

  it('sends nothing while consent is pending, then denied, not even on unload', async () => {
    scriptPage('/no-consent', { consent: 'pending' })
    await withContext(async (ctx) => {
      const batches = watchBatches(ctx)
      const page = await ctx.newPage()
      await page.goto(`${site.url}/no-consent`)
      await page.waitForFunction(() => 'veil' in window)
      const storage = await page.evaluate(async () => {
        const { veil } = window as unknown as { veil: typeof import('../../sdk/browser/index.ts') }
        veil.track('rule_add', { rule_type: 'x', run: 'consent' })
        await veil.flush()
        const pending = localStorage.length
        veil.consent('denied')
        veil.track('rule_add', { rule_type: 'y', run: 'consent' })
        await veil.flush()
        return { pending, denied: localStorage.length, stats: veil.stats() }
      })
      await page.goto(`${site.url}/elsewhere`)
      await barrier(ctx, 'consent-barrier')
      expect(storage).toMatchObject({ pending: 0, denied: 0, stats: { queued: 0 } })
      expect(batches.flatMap((b) => b.events).filter((e) => e.props?.run === 'consent')).toEqual([])
    })
    expect(await rowsOf('consent')).toEqual([])
  })

  it('sends nothing when Global Privacy Control is set, even with consent granted', async () => {
    scriptPage('/gpc')
    await withContext(async (ctx) => {
      await ctx.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }))
      const batches = watchBatches(ctx)
      const page = await ctx.newPage()
      await page.goto(`${site.url}/gpc`)
      await page.waitForFunction(() => 'veil' in window)
      await page.evaluate(async () => {
        const { veil } = window as unknown as { veil: typeof import('../../sdk/browser/index.ts') }
        veil.track('rule_add', { rule_type: 'x', run: 'gpc' })
        await veil.flush()
      })
      await page.goto(`${site.url}/elsewhere`)
      expect(batches).toEqual([])
    })
    await withContext((ctx) => barrier(ctx, 'gpc-barrier'))
    expect(await rowsOf('gpc')).toEqual([])
  })

  it('bounds the stored queue, dropping the oldest events first and counting them (ESM build)', async () => {
    site.page(
      '/bounded',
      `<!doctype html><script type="module">
        import * as veil from '/veil.mjs'
        veil.init({ endpoint: 'http://127.0.0.1:9', key: 'wk_x', consent: 'granted', maxQueue: 5, autoPageViews: false })
        window.veil = veil
      </script>`,
    )
    await withContext(async (ctx) => {
      const page = await ctx.newPage()
      await page.goto(`${site.url}/bounded`)
      await page.waitForFunction(() => 'veil' in window)
      const result = await page.evaluate(() => {
        const { veil } = window as unknown as { veil: typeof import('../../sdk/browser/index.ts') }
        for (let i = 0; i < 8; i++) veil.track('rule_add', { seq: i })
        const stored = Object.keys(localStorage).filter((k) => k.startsWith('veil_q')).flatMap((k) => JSON.parse(localStorage.getItem(k)!)) as { props: { seq: number } }[]
        return { seqs: stored.map((e) => e.props.seq), stats: veil.stats() }
      })
      expect(result.seqs).toEqual([3, 4, 5, 6, 7])
      expect(result.stats.dropped.queue_overflow).toBe(3)
    })
  })
})
