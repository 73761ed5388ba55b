// Shared by the PostHog and Segment tests: the app they send to, and reading what was stored.
// The custom events these tests send are listed in one place (CUSTOM_EVENTS), so that an app
// whose tracking plan must declare them is a one-line change in compatApp().
import { randomBytes } from 'node:crypto'
import { testApp, type TestServer } from './server.ts'
import type { AppConfig } from '../../src/apps/apps.ts'
import { unsealerOf } from './unseal.ts'

/** Custom (non-catalog) events and props the compat tests store. */
export const CUSTOM_EVENTS = { report_run: ['run', 'report_kind', 'rows'], button_clicked: ['run'], checkout_left: ['run'] } as const

/**
 * The app the compat tests write to. Once apps carry a tracking plan, CUSTOM_EVENTS goes into
 * it here (one line), so that the dialects' custom events are declared like any other app's.
 */
export function compatApp(id = 'compat-app', overrides: Partial<AppConfig> = {}): AppConfig {
  return testApp(id, overrides)
}

export interface StoredRow {
  event_id: string
  name: string
  ts: string
  user_hash: string
  session_hash: string
  org_hash: string
  props: Record<string, string>
  metrics: Record<string, number>
  lang: string
  screen_w: number
  screen_h: number
  app_version: string
  os: string
  browser: string
  country: string
  city: string
}

/**
 * Every stored row of an app whose props.run is `run` (each test uses its own run id), read as
 * the app's operator could while the period's salt lives: a value one person sent is stored as a
 * token (PRIVACY.md 17), opened here from its sealed copy so the tests can check the mapping.
 */
export async function storedRows(s: TestServer, appId: string, run: string): Promise<StoredRow[]> {
  const unseal = await unsealerOf(s, appId)
  const rows = await s.query<StoredRow>(
    `SELECT toString(event_id) AS event_id, name, toString(ts) AS ts, user_hash, session_hash, org_hash, props, metrics,
       lang, screen_w, screen_h, app_version, os, browser, country, city
     FROM events WHERE app_id = {app:String} ORDER BY ts, name`,
    { app: appId },
  )
  return rows
    .map((r) => ({
      ...r,
      name: unseal(r.name),
      props: Object.fromEntries(Object.entries(r.props).map(([k, v]) => [unseal(k), unseal(v)])),
      metrics: Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [unseal(k), v])),
    }))
    .filter((r) => r.props.run === run || (r.props.path ?? '').includes(run))
}


/** Everything stored for an app, as one string: for "no trait, e-mail or token anywhere" checks. */
export async function everythingStored(s: TestServer, appId: string): Promise<string> {
  const rows = await s.query<Record<string, unknown>>('SELECT * FROM events WHERE app_id = {app:String}', { app: appId })
  const quarantine = await s.query<Record<string, unknown>>('SELECT * FROM quarantine WHERE app_id = {app:String}', { app: appId }).catch(() => [])
  return JSON.stringify([rows, quarantine])
}

export async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (ok(v)) return v
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}; last: ${JSON.stringify(v)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A run id of letters only: ids with digit runs would be scrubbed or become :id in paths. */
export function runId(): string {
  return Array.from(randomBytes(12), (b) => String.fromCharCode(97 + (b % 26))).join('')
}
