// The dashboard in a real headless Chromium against a real Veil server with embedded
// ClickHouse: opened with a read key, it renders charts and tables from a month of seeded
// events, shows suppressed cells as such, and a wrong key is refused. Saves a screenshot.
import { mkdirSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Browser, type Page } from 'playwright-core'
import { startTestServer, type TestServer } from '../support/server.ts'
import { seedMonth } from './dashboard-seed.ts'
import { launchChromium } from '../support/chromium.ts'

let server: TestServer
let base: string
let browser: Browser

beforeAll(async () => {
  // The dashboard's rendering on exact figures (REPORT_NOISE=off); the noise is tested in test/integration.
  server = await startTestServer({ env: { REPORT_NOISE: 'off' } })
  await seedMonth(server.veil.storage.client, server.appId, Date.now())
  base = server.url
  browser = await launchChromium()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

async function openDashboard(key: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1800 } })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
  await page.goto(`${base}/dashboard#key=${encodeURIComponent(key)}`)
  return { page, errors }
}

describe('dashboard', () => {
  it('renders charts and reports from seeded events with a read key, and saves a screenshot', async () => {
    const { page, errors } = await openDashboard(server.readKey)
    await page.waitForSelector('#c-activity canvas')
    await page.waitForFunction(() => document.querySelectorAll('.card.loading').length === 0 && document.querySelectorAll('.kpi').length === 6)
    // Every time chart drew a canvas; every table card has rows.
    for (const id of ['activity', 'sessions', 'imports', 'changes']) expect(await page.locator(`#c-${id} canvas`).count(), id).toBeGreaterThan(0)
    for (const id of ['names', 'pages', 'reports', 'crashes', 'fingerprints', 'feedback', 'breakdown']) expect(await page.locator(`#c-${id} tbody tr`).count(), id).toBeGreaterThan(0)
    expect(await page.locator('.kpi .value').first().innerText()).toMatch(/^\d+$/)
    expect(await page.locator('#c-reports tbody').innerText()).toContain('monthly_alarms')
    // The rare path of two people is never listed; the pages table has an "other" row for it.
    expect(await page.locator('#c-pages').innerText()).not.toContain('/admin/audit')
    expect(await page.locator('#c-pages tr.other').innerText()).toMatch(/other \(not listed\)/)
    // The key left the address bar (it lives in the tab's session storage only).
    expect(page.url()).not.toContain('key=')
    mkdirSync('test-output', { recursive: true })
    await page.screenshot({ path: 'test-output/dashboard.png', fullPage: true })
    expect(errors).toEqual([])
    await page.close()
  })

  it('switching the event filter redraws the activity chart for that event', async () => {
    const { page } = await openDashboard(server.readKey)
    await page.waitForFunction(() => document.querySelectorAll('.card.loading').length === 0 && document.querySelectorAll('#f-event option').length > 1)
    await page.selectOption('#f-event', 'report_query')
    await page.waitForFunction(() => document.querySelectorAll('.card.loading').length === 0)
    const legend = await page.locator('#c-activity .u-legend').innerText()
    expect(legend).toContain('People')
    // Without hovering, the legend carries the filtered event's total, not a placeholder.
    expect(legend).toMatch(/Events\s*total [\d,]+/)
    expect(await page.locator('#c-breakdown').innerText()).toMatch(/DE/)
    await page.close()
  })

  it('asks again for a key when the key is a write key', async () => {
    const { page } = await openDashboard(server.writeKey)
    await page.waitForSelector('#keyerror:not([hidden])')
    expect(await page.locator('#keyerror').innerText()).toMatch(/write key/)
    expect(await page.locator('#board').isHidden()).toBe(true)
    await page.close()
  })
})
