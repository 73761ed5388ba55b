// Every card of the dashboard in its three states, in a real headless Chromium against a real
// Veil server: with data, suppressed (a month of events from fewer than k people) and empty (an
// app with no events). Each card's screenshot is saved to test-output/cards/ to be looked at;
// the assertions check that every statement on the card is true for its state.
import { mkdirSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Browser, type Page } from 'playwright-core'
import { randomKey } from '../../src/apps/apps.ts'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { seedFew, seedMonth } from './dashboard-seed.ts'
import { launchChromium } from '../support/chromium.ts'

const CARDS = ['activity', 'names', 'pages', 'sessions', 'imports', 'reports', 'changes', 'crashes', 'fingerprints', 'feedback', 'breakdown']
const OUT = 'test-output/cards'

let server: TestServer
let browser: Browser
const readKey = randomKey('rk')

beforeAll(async () => {
  // One read key for three apps: the dashboard's app picker switches between the states.
  const apps = ['with-data', 'few-people', 'no-events'].map((id) => testApp(id, { read_keys: [readKey] }))
  // The dashboard's rendering on exact figures (REPORT_NOISE=off); the noise is tested in test/integration.
  server = await startTestServer({ apps, env: { REPORT_NOISE: 'off' } })
  await seedMonth(server.veil.storage.client, 'with-data', Date.now())
  await seedFew(server.veil.storage.client, 'few-people', Date.now())
  browser = await launchChromium()
  mkdirSync(OUT, { recursive: true })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

async function openApp(app: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 2000 }, acceptDownloads: true })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
  await page.goto(`${server.url}/dashboard#key=${encodeURIComponent(readKey)}`)
  await page.waitForSelector('#board:not([hidden])')
  await page.waitForFunction(() => document.querySelectorAll('#f-app option').length === 3)
  if ((await page.inputValue('#f-app')) !== app) await page.selectOption('#f-app', app)
  await settled(page)
  return { page, errors }
}

/** Every card loaded and the headline cards have their comparison (or its failure) in place. */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    document.querySelectorAll('.card.loading').length === 0 && document.querySelectorAll('.kpi').length === 6 &&
    [...document.querySelectorAll('.kpi .delta')].every((d) => !d.textContent!.endsWith('loading')))
}

async function shoot(page: Page, state: string): Promise<void> {
  await page.screenshot({ path: `${OUT}/${state}-headline.png`, clip: (await page.locator('#kpis').boundingBox())! })
  for (const id of CARDS) await page.locator(`#c-${id}`).screenshot({ path: `${OUT}/${state}-${id}.png` })
}

const text = (page: Page, id: string) => page.locator(`#c-${id}`).innerText()

describe('dashboard card states', () => {
  it('with data: every card shows its figures, axes are labelled, legends carry values, names fit', async () => {
    const { page, errors } = await openApp('with-data')
    await shoot(page, 'data')
    // The crashes card lists versions and never says there are none.
    expect(await text(page, 'crashes')).not.toMatch(/No app starts or crashes/)
    expect(await page.locator('#c-crashes tbody tr').count()).toBeGreaterThan(1)
    // Legends show a value without hovering: no uPlot placeholder.
    for (const id of ['activity', 'sessions', 'imports', 'changes']) {
      const legend = await page.locator(`#c-${id} .u-legend`).innerText()
      expect(legend, id).not.toMatch(/--/)
      expect(legend, id).toMatch(/(latest|total) \d/)
    }
    // Every name cell carries its whole name as a tooltip and never wraps.
    const names = await page.locator('#c-names tbody tr:not(.other):not(.total) td:first-child .name').evaluateAll((els) => els.map((e) => ({ title: e.getAttribute('title'), text: e.textContent, white: getComputedStyle(e).whiteSpace })))
    expect(names.length).toBeGreaterThan(3)
    for (const n of names) expect(n.title).toBe(n.text), expect(n.white).toBe('nowrap')
    // Which cards follow the event filter is written on them.
    expect(await page.locator('#c-activity .scope').innerText()).toMatch(/follows the Event filter/)
    expect(await page.locator('#c-pages .scope').innerText()).toMatch(/not filtered by event/)
    // Headline cards compare with the previous 30 days (no data then: said, not invented).
    const deltas = await page.locator('.kpi .delta').allInnerTexts()
    expect(deltas).toHaveLength(6)
    for (const d of deltas) expect(d).toMatch(/previous 30 days/)
    expect(errors).toEqual([])
    await page.close()
  })

  it('with data: the headline cards compare with the 7 days just before, fetched from the same API', async () => {
    const { page } = await openApp('with-data')
    await page.selectOption('#f-preset', '7')
    await settled(page)
    const deltas = await page.locator('.kpi .delta').allInnerTexts()
    expect(deltas[1]).toMatch(/^[+-]?\d+(\.\d)? % vs previous 7 days \([\d,]+\)$/)
    expect(deltas[3]).toMatch(/^[+-]?\d+\.\d pp vs previous 7 days \(\d+(\.\d)? %\)$/)
    // The figure compared with is the API's own total of that period.
    const today = Date.parse(new Date().toISOString().slice(0, 10))
    const iso = (t: number) => new Date(t).toISOString().slice(0, 10)
    const res = await fetch(`${server.url}/v1/stats/events?app=with-data&from=${iso(today - 13 * 86_400_000)}&to=${iso(today - 7 * 86_400_000)}`, { headers: { Authorization: `Bearer ${readKey}` } })
    const before = (await res.json()) as { total: { events: number } }
    expect(deltas[1]).toContain(`(${before.total.events.toLocaleString('en-US')})`)
    await page.screenshot({ path: `${OUT}/data-headline-7-days.png`, clip: (await page.locator('#kpis').boundingBox())! })
    await page.close()
  })

  it('with data: picking an event says which cards follow it', async () => {
    const { page } = await openApp('with-data')
    await page.locator('#c-names a', { hasText: 'report_query' }).click()
    await settled(page)
    for (const id of ['activity', 'breakdown']) expect(await page.locator(`#c-${id} .scope`).innerText(), id).toBe('filtered: event report_query')
    expect(await page.locator('#c-crashes .scope').innerText()).toMatch(/not filtered by event/)
    await page.locator('#c-activity').screenshot({ path: `${OUT}/data-activity-filtered.png` })
    await page.close()
  })

  it('with data: every table downloads as CSV with the rows it shows', async () => {
    const { page } = await openApp('with-data')
    for (const id of ['names', 'pages', 'reports', 'changes', 'crashes', 'fingerprints', 'feedback', 'breakdown']) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`#c-${id} button.csv`).click()])
      const csv = readFileSync((await download.path())!, 'utf8').trim().split('\r\n')
      const rows = await page.locator(`#c-${id} .tablewrap tbody tr`).count()
      expect(csv.length, id).toBe(rows + 1)
      expect(download.suggestedFilename()).toMatch(/\.csv$/)
    }
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#c-pages button.csv').click()])
    const csv = readFileSync((await download.path())!, 'utf8')
    expect(csv.split('\r\n')[0]).toBe('Path,People,Views')
    expect(csv).toMatch(/^other \(not listed\),,\d+$/m)
    await page.close()
  })

  it('suppressed: every card says suppressed, never zero or empty, and the reason is one click away', async () => {
    const { page, errors } = await openApp('few-people')
    await shoot(page, 'suppressed')
    // The rule and label actions are a fixed list: an action used by fewer than k people answers
    // as one never used (issue 26, "Existence"), so that card says there were none.
    for (const id of CARDS.filter((c) => c !== 'changes')) {
      const t = await text(page, id)
      expect(t, id).toMatch(/suppressed/)
      expect(t, id).not.toMatch(/^No .* in this range/m)
    }
    expect(await text(page, 'changes')).toMatch(/^No rule or label changes in this range/m)
    expect(await page.locator('.kpi .value').first().innerText()).toBe('suppressed')
    await page.locator('#c-crashes button.sup').first().click()
    await expect.poll(() => page.locator('#why').innerText()).toMatch(/fewer than 5 people in each salt period and day/)
    await page.screenshot({ path: `${OUT}/suppressed-why.png`, clip: { x: 0, y: 0, width: 1440, height: 2000 } })
    await page.keyboard.press('Escape')
    expect(await page.locator('#why').count()).toBe(0)
    expect(errors).toEqual([])
    await page.close()
  })

  it('empty: every card says there is nothing, and nothing says suppressed', async () => {
    const { page, errors } = await openApp('no-events')
    await shoot(page, 'empty')
    for (const id of CARDS) {
      const t = await text(page, id)
      expect(t, id).toMatch(/No .* in this range/)
      expect(t, id).not.toMatch(/suppressed/)
    }
    expect(errors).toEqual([])
    await page.close()
  })

  it('a key put into the address of an open tab is used at once (hashchange)', async () => {
    const page = await browser.newPage()
    await page.goto(`${server.url}/dashboard`)
    await page.waitForSelector('#gate:not([hidden])')
    await page.evaluate((k) => { location.hash = `key=${encodeURIComponent(k)}` }, readKey)
    await page.waitForSelector('#board:not([hidden])')
    expect(page.url()).not.toContain('key=')
    expect(await page.locator('#f-app option').count()).toBe(3)
    await page.close()
  })
})
