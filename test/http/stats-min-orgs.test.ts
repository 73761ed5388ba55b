// Minimum organisations per cell (issue 26, docs/reports.md), through real ingestion: with
// min_orgs_per_cell an event name or a path filled by one organisation's people is not shown, the
// same with people of enough organisations is; an app without the setting shows both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { CHROME_UA, batch, event } from '../support/batch.ts'
import type { AppConfig } from '../../src/apps/apps.ts'

const guarded = testApp('guarded', { min_orgs_per_cell: 3 })
const open = testApp('open')
const PEOPLE = 12

let s: TestServer
beforeAll(async () => {
  // Exact figures (REPORT_NOISE=off): the organisations rule is checked on its own here.
  s = await startTestServer({ apps: [guarded, open], env: { REPORT_NOISE: 'off' } })
  for (const app of [guarded, open]) {
    // Twelve people of one customer on one path; twelve of three customers on each of two others.
    await send(app, Array.from({ length: PEOPLE }, (_, i) => event({ name: 'page_view', user_id: `acme-${letters(i)}@acme.example`, org_id: 'acme', props: { path: '/acme-only' } })))
    for (const path of ['/shared', '/wide']) {
      await send(app, Array.from({ length: PEOPLE }, (_, i) => event({ name: 'page_view', user_id: `${path}-${letters(i)}@example.com`, org_id: `org-${letters(i % 3)}`, props: { path } })))
    }
    // An event name only one customer's people send, and one that three customers' people send.
    await send(app, Array.from({ length: PEOPLE }, (_, i) => event({ name: 'export_start', user_id: `acme-${letters(i)}@acme.example`, org_id: 'acme' })))
    await send(app, Array.from({ length: PEOPLE }, (_, i) => event({ name: 'login', user_id: `mixed-${letters(i)}@example.com`, org_id: `org-${letters(i % 3)}` })))
  }
  // Names and path segments k people sent become readable once published (docs/reports.md
  // "Values known to k people"); the reports read ClickHouse once the spool has fed it.
  await s.drained()
  await s.veil.values.publisher.publishNow()
})
afterAll(() => s?.stop())

/** Letters for a number: names and ids without digit runs. */
const letters = (i: number) => String.fromCharCode(97 + (i % 26)) + String.fromCharCode(97 + Math.floor(i / 26))

async function send(app: AppConfig, events: unknown[]): Promise<void> {
  const res = await s.veil.app.request('/v1/batch', {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', 'User-Agent': CHROME_UA },
    body: JSON.stringify(batch(app.write_keys[0]!, events)),
  })
  const text = await res.text()
  expect(res.status, text).toBe(202)
  expect((JSON.parse(text) as { accepted: number }).accepted, text).toBe(events.length)
}

async function stats<T>(app: AppConfig, report: string): Promise<T> {
  const today = new Date().toISOString().slice(0, 10)
  const res = await s.veil.app.request(`/v1/stats/${report}?from=${today}&to=${today}`, { headers: { Authorization: `Bearer ${app.read_keys[0]}` } })
  expect(res.status).toBe(200)
  return (await res.json()) as T
}

const namesOf = async (app: AppConfig) => (await stats<{ names: { name: string }[] }>(app, 'events')).names.map((n) => n.name).sort()
const pathsOf = async (app: AppConfig) => (await stats<{ paths: { path: string }[] }>(app, 'pages')).paths.map((p) => p.path).sort()

describe('min_orgs_per_cell', () => {
  it('hides an event name filled by one organisation\'s people and shows one of three organisations', async () => {
    expect(await namesOf(guarded)).toEqual(['login', 'page_view'])
    expect(await namesOf(open)).toEqual(['export_start', 'login', 'page_view'])
  })

  it('never lists a path of one organisation, also not through what the others leave over', async () => {
    const shown = await pathsOf(guarded)
    expect(shown).not.toContain('/acme-only')
    // The hidden remainder must hold people of three organisations too: one of the two others
    // goes with the one-customer path, the other is shown.
    expect(shown).toHaveLength(1)
    expect(['/shared', '/wide']).toContain(shown[0])
    expect(await pathsOf(open)).toEqual(['/acme-only', '/shared', '/wide'])
  })
})
