// The browser SDK's answers to the server's refusals and its unload path, in real headless
// Chromium against a scripted node:http endpoint (real network, CORS as the server sends it):
// 503 + Retry-After, 400, and a backlog larger than the 64 KiB keepalive budget on pagehide.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import { rmSync } from 'node:fs'
import { type Browser, type Page } from 'playwright-core'
import type { WireBatch } from '../../sdk/core/catalog.ts'
import { buildBrowserSdk } from '../sdk/support/build-browser.ts'
import { startStaticServer, type StaticServer } from '../sdk/support/static-server.ts'
import { launchChromium } from '../support/chromium.ts'


interface Received {
  at: number
  batch: WireBatch
}

let site: StaticServer
let browser: Browser
let sdkDir: string
let endpoint: { url: string; received: Received[]; answer: (n: number) => { status: number; headers?: Record<string, string> } }
let server: Server

beforeAll(async () => {
  sdkDir = buildBrowserSdk()
  const received: Received[] = []
  endpoint = { url: '', received, answer: () => ({ status: 202 }) }
  server = createServer((req, res) => {
    // CORS as the Veil server answers: any origin, Retry-After readable by the page.
    const cors = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'Retry-After' }
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      if (req.method !== 'POST') return void res.writeHead(204, cors).end()
      const batch = JSON.parse(body) as WireBatch
      received.push({ at: performance.now(), batch })
      const a = endpoint.answer(received.length)
      res.writeHead(a.status, { ...cors, 'content-type': 'application/json', ...a.headers })
      res.end(JSON.stringify(a.status === 202 ? { accepted: batch.events.length, rejected: [] } : { error: 'scripted' }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  endpoint.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  ;[site, browser] = await Promise.all([
    startStaticServer(sdkDir),
    launchChromium(),
  ])
})

afterEach(() => {
  endpoint.received.length = 0
})

afterAll(async () => {
  await browser?.close()
  await site?.close()
  await new Promise((r) => server?.close(r))
  rmSync(sdkDir, { recursive: true, force: true })
})

async function openApp(path: string): Promise<Page> {
  site.page(
    path,
    `<!doctype html><script src="/veil.min.js" data-key="wk_test" data-endpoint="${endpoint.url}" data-consent="granted" data-auto-page-views="false" defer></script>`,
  )
  site.page('/elsewhere', '<!doctype html><title>no sdk here</title>')
  const page = await (await browser.newContext()).newPage()
  await page.goto(`${site.url}${path}`)
  await page.waitForFunction(() => 'veil' in window)
  return page
}

type Veil = typeof import('../../sdk/browser/index.ts')
const ids = (r: Received) => r.batch.events.map((e) => e.id)

async function until(ok: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('browser SDK delivery answers', () => {
  it('retries a 503 with Retry-After: 1 no sooner than 1 s later, with the same event ids', async () => {
    endpoint.answer = (n) => (n === 1 ? { status: 503, headers: { 'Retry-After': '1' } } : { status: 202 })
    const page = await openApp('/retry')
    await page.evaluate(async () => {
      const { veil } = window as unknown as { veil: Veil }
      veil.track('rule_add', { rule_type: 'a' })
      await veil.flush()
    })
    await until(() => endpoint.received.length >= 2, 'the retry')
    const [refused, retried] = endpoint.received
    expect(ids(retried)).toEqual(ids(refused))
    expect(retried.at - refused.at).toBeGreaterThanOrEqual(1000)
    await page.context().close()
  })

  it('drops a batch answered 400, counts it, and never sends it again', async () => {
    endpoint.answer = (n) => (n === 1 ? { status: 400 } : { status: 202 })
    const page = await openApp('/bad')
    const stats = await page.evaluate(async () => {
      const { veil } = window as unknown as { veil: Veil }
      veil.track('rule_add', { rule_type: 'a' })
      await veil.flush()
      const after400 = veil.stats()
      veil.track('rule_add', { rule_type: 'b' })
      await veil.flush()
      return after400
    })
    expect(stats).toMatchObject({ queued: 0, dropped: { client_error: 1 } })
    expect(endpoint.received.map((r) => r.batch.events.map((e) => e.props?.rule_type))).toEqual([['a'], ['b']])
    await page.context().close()
  })

  it('on pagehide sends what the 64 KiB keepalive budget and beacons take, and the next load the rest: none of 80 large events is lost', async () => {
    endpoint.answer = () => ({ status: 202 })
    const page = await openApp('/big')
    const tracked = await page.evaluate(() => {
      const { veil } = window as unknown as { veil: Veil }
      for (let i = 0; i < 80; i++) veil.track('feedback', { rating: 3, text: `${i} `.padEnd(1900, 'x') })
      return veil.stats().queued
    })
    expect(tracked).toBe(80) // about 150 KB: more than one page may have in flight when it goes
    await page.goto(`${site.url}/elsewhere`)
    await until(() => endpoint.received.length > 0, 'the unloading page to send')
    // Chromium shares the keepalive quota with beacons, so how much more leaves now varies; what
    // does not stays in localStorage for the next load.
    await page.goto(`${site.url}/big`)
    await page.waitForFunction(() => 'veil' in window)
    await page.evaluate(() => (window as unknown as { veil: Veil }).veil.flush())
    await until(() => new Set(endpoint.received.flatMap(ids)).size === 80, 'all 80 events')
    expect(Buffer.byteLength(JSON.stringify(endpoint.received[0].batch))).toBeLessThanOrEqual(64 * 1024)
    for (const r of endpoint.received) expect(r.batch.events.length).toBeLessThanOrEqual(25)
    await page.context().close()
  })

  it('keeps the unsent events of two tabs apart, and the next load sends both', async () => {
    endpoint.answer = () => ({ status: 503 })
    const ctx = await browser.newContext()
    const tabs = await Promise.all([ctx.newPage(), ctx.newPage()])
    site.page('/tab', `<!doctype html><script src="/veil.min.js" data-key="wk_test" data-endpoint="${endpoint.url}" data-consent="granted" data-auto-page-views="false" defer></script>`)
    // Both open before either has anything to store, so neither claims the other's events.
    for (const tab of tabs) {
      await tab.goto(`${site.url}/tab`)
      await tab.waitForFunction(() => 'veil' in window)
    }
    for (const [i, tab] of tabs.entries()) {
      await tab.evaluate(async (i) => {
        const { veil } = window as unknown as { veil: Veil }
        veil.track('label_add', { label_type: `tab${i}` })
        await veil.flush() // 503: stays stored
      }, i)
    }
    // Both tabs go while the server still refuses; their unload attempts fail too.
    for (const tab of tabs) await tab.close({ runBeforeUnload: true })
    endpoint.received.length = 0
    endpoint.answer = () => ({ status: 202 })
    const page = await ctx.newPage()
    await page.goto(`${site.url}/tab`)
    await page.waitForFunction(() => 'veil' in window)
    await page.evaluate(() => (window as unknown as { veil: Veil }).veil.flush())
    const types = endpoint.received.flatMap((r) => r.batch.events).map((e) => e.props?.label_type)
    expect(new Set(types)).toEqual(new Set(['tab0', 'tab1']))
    await ctx.close()
  })
})
