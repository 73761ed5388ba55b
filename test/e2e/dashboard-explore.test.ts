// The dashboard's own-question cards in a real headless Chromium against a real Veil server
// (issue 27): Explore of a declared event by a declared prop from a linked address, a funnel,
// the rejections card naming an undeclared event once k people sent it, and the small-app
// sentence. Screenshots go to test-output/ to be looked at.
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Browser, type Page } from 'playwright-core'
import type { ClickHouseClient } from '@clickhouse/client'
import { randomKey } from '../../src/apps/apps.ts'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { CHROME_UA, batch, event } from '../support/batch.ts'
import { seedFew } from './dashboard-seed.ts'
import { launchChromium } from '../support/chromium.ts'

const OUT = 'test-output'
const DAY_MS = 86_400_000
const readKey = randomKey('rk')
const shop = testApp('webshop', {
  read_keys: [readKey],
  plan: {
    mode: 'strict',
    events: {
      signup: { props: { plan: { kind: 'enum', values: ['free', 'pro', 'team'] }, trial: { kind: 'boolean' } } },
      invite: { props: {} },
      purchase: { props: { amount: { kind: 'number', min: 0, max: 500 } } },
    },
  },
})
const tiny = testApp('tiny', { read_keys: [readKey] })
/** A team tool: three people a day, and the whole team of 25 at Monday's meeting. */
const team = testApp('team', { read_keys: [readKey] })

let server: TestServer
let browser: Browser

const stamp = (t: number) => new Date(t).toISOString().replace('T', ' ').replace('Z', '')

/** Two weeks of a web shop: 80 sign-ups a day (one salt period per day), most invite, some buy: cells that pass the noise's gate. */
async function seedShop(client: ClickHouseClient, now: number): Promise<void> {
  const today = Date.parse(new Date(now).toISOString().slice(0, 10))
  const values: Record<string, unknown>[] = []
  for (let d = 13; d >= 0; d--) {
    const day = today - d * DAY_MS + 9 * 3_600_000
    for (let i = 0; i < 80; i++) {
      const row = (name: string, min: number, props: Record<string, string> = {}, metrics: Record<string, number> = {}) => values.push({
        app_id: shop.id, event_id: randomUUID(), name, ts: stamp(day + min * 60_000), received_at: stamp(day + min * 60_000),
        user_hash: `shop-${d}-${i}`, session_hash: '', org_hash: '', salt_period: 20_000 + d, props, metrics,
        country: ['DE', 'FR', 'US'][i % 3], city: '', browser: i % 4 ? 'Chrome' : 'Firefox', browser_version: '120', os: 'Windows', os_version: '11',
        device_type: 'desktop', lang: 'en', screen_w: 1920, screen_h: 1080, app_version: '2.0.0', deployment: 'cloud',
      })
      row('signup', 0, { plan: ['free', 'pro', 'pro', 'team'][i % 4]!, trial: String(i % 2 === 0) })
      if (i < 60 - (d % 3)) row('invite', 3)
      if (i < 32) row('purchase', 9, {}, { amount: 20 + (i % 5) * 40 })
    }
  }
  await client.insert({ table: 'events', values, format: 'JSONEachRow' })
}

/** The team's Mondays: 22 more people than seedFew's three, enough for the noise's gate. */
async function seedMondays(client: ClickHouseClient, now: number): Promise<void> {
  const today = Date.parse(new Date(now).toISOString().slice(0, 10))
  const values: Record<string, unknown>[] = []
  for (let d = 29; d >= 0; d--) {
    const day = today - d * DAY_MS
    if (new Date(day).getUTCDay() !== 1) continue
    for (let i = 0; i < 22; i++) {
      values.push({
        app_id: team.id, event_id: randomUUID(), name: 'page_view', ts: stamp(day + 10 * 3_600_000), received_at: stamp(day + 10 * 3_600_000),
        user_hash: `team-${i}`, session_hash: '', org_hash: '', salt_period: 1, props: { path: '/meeting' }, metrics: {},
        country: 'DE', city: '', browser: 'Chrome', browser_version: '120', os: 'Windows', os_version: '11',
        device_type: 'desktop', lang: 'de', screen_w: 1920, screen_h: 1080, app_version: '4.2.1', deployment: 'cloud',
      })
    }
  }
  await client.insert({ table: 'events', values, format: 'JSONEachRow' })
}

/**
 * Thirty people send an event the plan does not declare, through the real batch route: enough
 * for the release's gate (k, and k + 10 after the noise) as well as for the values rule.
 */
async function sendUndeclared(): Promise<void> {
  const events = Array.from({ length: 30 }, (_, i) => event({ name: 'wishlist_add', user_id: `buyer-${i}@example.com` }))
  const res = await server.veil.app.request('/v1/batch', { method: 'POST', headers: { 'Content-Type': 'text/plain', 'User-Agent': CHROME_UA }, body: JSON.stringify(batch(shop.write_keys[0]!, events)) })
  expect(res.status).toBe(202)
  await server.drained()
  await server.veil.values.flush()
  await server.veil.values.publisher.publishNow()
}

beforeAll(async () => {
  server = await startTestServer({ apps: [shop, tiny, team] })
  await seedShop(server.veil.storage.client, Date.now())
  await seedFew(server.veil.storage.client, tiny.id, Date.now())
  await seedFew(server.veil.storage.client, team.id, Date.now())
  await seedMondays(server.veil.storage.client, Date.now())
  await sendUndeclared()
  browser = await launchChromium()
  mkdirSync(OUT, { recursive: true })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

async function open(query: string, app: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 2200 } })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
  await page.goto(`${server.url}/dashboard${query}#key=${encodeURIComponent(readKey)}`)
  await page.waitForSelector('#board:not([hidden])')
  await page.waitForFunction(() => document.querySelectorAll('#f-app option').length === 3)
  if ((await page.inputValue('#f-app')) !== app) await page.selectOption('#f-app', app)
  await page.waitForFunction(() => document.querySelectorAll('.card.loading').length === 0 && document.querySelectorAll('.kpi').length === 6)
  return { page, errors }
}

describe('dashboard: explore, funnel, rejections, small apps', () => {
  it('opens a linked explore view: a declared event by a declared prop, with the previous period', async () => {
    const { page, errors } = await open('?x_event=signup&x_by=props.plan', shop.id)
    await page.waitForSelector('#c-explore canvas')
    const rows = await page.locator('#c-explore .tablewrap tbody').innerText()
    expect(rows).toMatch(/pro/)
    expect(rows).toMatch(/free/)
    expect(await page.inputValue('#x-by')).toBe('props.plan')
    // Choosing a filter keeps the view in the address, so it can be linked.
    await page.selectOption('#x-ffield', 'country')
    await page.fill('#x-fvalues', 'DE,FR')
    await page.click('#c-explore button[type=submit]')
    await page.waitForFunction(() => location.search.includes('x_filter='))
    expect(decodeURIComponent(page.url())).toContain('x_filter=country=DE,FR')
    await page.waitForSelector('#c-explore canvas')
    await page.locator('#c-explore').screenshot({ path: `${OUT}/explore.png` })
    expect(errors).toEqual([])
    await page.close()
  })

  it('shows a funnel of declared events with conversion per step', async () => {
    const { page, errors } = await open('?f_steps=signup,invite,purchase', shop.id)
    await page.waitForSelector('#c-funnel .tablewrap tbody tr')
    const t = await page.locator('#c-funnel .tablewrap tbody').innerText()
    // Released with noise (the default): 14 days of 80, then 32 a day, each day a noisy atom.
    const people = (step: string) => Number(new RegExp(`${step}\\s+([\\d,]+)`).exec(t)?.[1]?.replace(/,/g, '') ?? NaN)
    expect(Math.abs(people('1\\. signup') - 14 * 80)).toBeLessThan(60)
    expect(Math.abs(people('3\\. purchase') - 14 * 32)).toBeLessThan(60)
    await page.locator('#c-funnel').screenshot({ path: `${OUT}/funnel.png` })
    expect(errors).toEqual([])
    await page.close()
  })

  it('names on the rejections card an event thirty people sent that the plan does not declare, with its plan snippet', async () => {
    const { page, errors } = await open('', shop.id)
    await page.waitForSelector('#c-rejections .tablewrap tbody tr')
    const t = await page.locator('#c-rejections').innerText()
    // Released with noise (the default): 30 events from 30 people, one noisy atom.
    const sent = Number(/wishlist_add\s+event not in plan\s+([\d,]+)/.exec(t)?.[1]?.replace(/,/g, '') ?? NaN)
    expect(Math.abs(sent - 30)).toBeLessThan(20)
    expect(await page.locator('#c-rejections button', { hasText: 'copy plan snippet' }).getAttribute('title')).toContain('"wishlist_add"')
    // The web shop declares its own events: the catalog's product cards without data are hidden,
    // headline cards too, and the page says which.
    expect(await page.locator('#c-imports').isHidden()).toBe(true)
    expect(await page.locator('#c-activity').isVisible()).toBe(true)
    for (const kpi of ['session', 'crash', 'imports', 'queries']) expect(await page.locator(`.kpi[data-kpi=${kpi}]`).isHidden(), kpi).toBe(true)
    for (const kpi of ['people', 'events']) expect(await page.locator(`.kpi[data-kpi=${kpi}]`).isVisible(), kpi).toBe(true)
    expect(await page.locator('#planned').innerText()).toMatch(/declares its own events and sent none of these catalog events in the range: Median session, Crash rate, Import failures, Report query p95, .*CM data imports/)
    await page.locator('#c-rejections').screenshot({ path: `${OUT}/rejections.png` })
    await page.screenshot({ path: `${OUT}/dashboard-webshop.png`, fullPage: true })
    expect(errors).toEqual([])
    await page.close()
  })

  it('tells a small app in one sentence why its figures are hidden, what the operator can change and what it costs', async () => {
    const { page, errors } = await open('', tiny.id)
    await page.waitForSelector('#smallapp:not([hidden])')
    const said = await page.locator('#smallapp').innerText()
    expect(said).toMatch(/^Most figures are hidden because 30 of 30 days with events had fewer than 5 people each/)
    expect(said).toMatch(/veil apps set tiny k_anonymity 3/)
    expect(said).toMatch(/veil apps set tiny salt_rotation_hours 168/)
    expect(said).toMatch(/one person's events of a whole week are linkable to each other/)
    // Shown by week, and said so; three people a day leave every week hidden too.
    await page.waitForFunction(() => (document.querySelector('#f-interval') as HTMLSelectElement).value === 'week' && document.querySelectorAll('.card.loading').length === 0)
    expect(await page.locator('#smallapp').innerText()).toMatch(/Shown by week for that reason/)
    await page.screenshot({ path: `${OUT}/small-app.png`, clip: { x: 0, y: 0, width: 1440, height: 900 } })
    // The reader may go back to days; the page then stays on days and still says why.
    await page.click('#smallapp-day')
    await page.waitForFunction(() => (document.querySelector('#f-interval') as HTMLSelectElement).value === 'day' && document.querySelectorAll('.card.loading').length === 0)
    expect(await page.locator('#smallapp').innerText()).not.toMatch(/Shown by week/)
    expect(await page.locator('#smallapp').innerText()).toMatch(/days with events had fewer than 5 people/)
    expect(errors).toEqual([])
    await page.close()
  })

  it('shows a small app with a busy day a week by week: every week shows, where most days are hidden', async () => {
    const { page, errors } = await open('', team.id)
    await page.waitForFunction(() => (document.querySelector('#f-interval') as HTMLSelectElement).value === 'week' && document.querySelectorAll('.card.loading').length === 0)
    expect(await page.locator('#smallapp').innerText()).toMatch(/days with events had fewer than 5 people each[\s\S]*Shown by week/)
    await page.waitForSelector('#c-activity canvas')
    expect(await page.locator('#c-activity .chart').innerText()).not.toMatch(/are hidden/)
    expect(await page.locator('#c-activity .u-legend').innerText()).toMatch(/People per week|Week/)
    await page.screenshot({ path: `${OUT}/small-app-weekly.png`, clip: { x: 0, y: 0, width: 1440, height: 1000 } })
    // By day, most days are gaps: the chart says so.
    await page.selectOption('#f-interval', 'day')
    await page.waitForFunction(() => document.querySelectorAll('.card.loading').length === 0 && /days are hidden/.test(document.querySelector('#c-activity .chart')!.textContent!))
    expect(await page.locator('#smallapp').innerText()).not.toMatch(/Shown by week/)
    expect(errors).toEqual([])
    await page.close()
  })
})
