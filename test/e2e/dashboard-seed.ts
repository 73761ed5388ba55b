// A month of plausible product usage for the dashboard test: 80 users with habits drawn from
// a seeded random generator (so every run looks the same), written into the events table.
import { randomUUID } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'

const DAY_MS = 86_400_000
const PATHS = ['/dashboard', '/machines', '/machines/:id', '/reports', '/reports/:id', '/settings', '/alarms']
const REPORTS = ['monthly_alarms', 'machine_utilisation', 'energy', 'downtime']
const COUNTRIES = ['DE', 'DE', 'DE', 'AT', 'CH', 'US', 'FR', 'IT']
const TEXTS = ['The new report filter saves me a lot of time', 'Exports to Excel would help', 'Charts load fast now', 'Please add a dark mode', 'Alarm list is hard to sort', 'Great tool for shift planning']

const stamp = (day: number, min: number) => new Date(day + 7 * 3_600_000 + min * 60_000).toISOString().replace('T', ' ').replace('Z', '')

export async function seedMonth(client: ClickHouseClient, appId: string, now: number): Promise<number> {
  let seed = 7
  const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!
  const today = Date.parse(new Date(now).toISOString().slice(0, 10))
  const values: Record<string, unknown>[] = []
  const users = Array.from({ length: 80 }, (_, i) => ({
    id: `hash-user-${i}`, activity: 0.25 + rand() * 0.6, country: pick(COUNTRIES),
    version: i < 45 ? '4.2.1' : i < 70 ? '4.1.0' : '3.9.2', os: i % 3 ? 'Windows' : 'macOS', browser: i % 4 ? 'Chrome' : 'Firefox',
  }))
  for (let d = 29; d >= 0; d--) {
    const day = today - d * DAY_MS
    const weekend = [0, 6].includes(new Date(day).getUTCDay())
    for (const u of users) {
      if (rand() > u.activity * (weekend ? 0.3 : 1) * (0.8 + (29 - d) / 90)) continue
      const at = (min: number, name: string, props: Record<string, string> = {}, metrics: Record<string, number> = {}) =>
        values.push({
          app_id: appId, event_id: randomUUID(), name, ts: stamp(day, min), received_at: stamp(day, min),
          user_hash: u.id, session_hash: `${u.id}-${d}`, org_hash: '', salt_period: 1, props, metrics,
          country: u.country, city: '', browser: u.browser, browser_version: '120', os: u.os, os_version: '11', device_type: 'desktop',
          lang: u.country === 'DE' || u.country === 'AT' || u.country === 'CH' ? 'de' : 'en', screen_w: 1920, screen_h: 1080, app_version: u.version, deployment: 'cloud',
        })
      at(0, 'app_start', { version: u.version })
      at(1, 'login', { method: 'sso' })
      const views = 2 + Math.floor(rand() * 8)
      for (let v = 0; v < views; v++) at(2 + v, 'page_view', { path: pick(PATHS) })
      if (rand() < 0.6) at(12, 'report_query', { report: pick(REPORTS), status: rand() < 0.04 ? 'error' : 'ok' }, { duration_ms: 200 + rand() * rand() * 4000, rows: Math.floor(rand() * 500) })
      if (rand() < 0.25) at(14, 'cm_data_import', { status: rand() < 0.1 ? 'failed' : 'ok' }, { records: Math.floor(rand() * 2000) })
      if (rand() < 0.15) at(16, pick(['rule_add', 'rule_change', 'rule_remove', 'label_add', 'label_change']), { rule_type: 'threshold' })
      if (rand() < (u.version === '3.9.2' ? 0.12 : 0.03)) at(18, 'app_crash', { error_type: 'TypeError', fingerprint: u.version === '3.9.2' ? 'f3a9c1' : 'b71e02', fatal: 'true' })
      else at(60 + Math.floor(rand() * 300), 'app_stop', {}, { uptime_ms: (20 + rand() * 240) * 60_000 })
      if (rand() < 0.08) {
        const rating = rand() < 0.7 ? 4 + Math.floor(rand() * 2) : 2 + Math.floor(rand() * 2)
        at(20, 'feedback', rand() < 0.6 ? { text: pick(TEXTS), topic: 'general' } : {}, { rating })
      }
    }
  }
  // Rule editors and label editors, a quarter of the users each, change something every day
  // they log in: enough people per day for the changes chart, as k is decided per salt period
  // and day. Added after the loop so the random habits above stay as they were.
  for (const login of values.filter((v) => v.name === 'login')) {
    const i = Number(String(login.user_hash).slice('hash-user-'.length))
    if (i % 4 < 2) values.push({ ...login, event_id: randomUUID(), name: i % 4 === 0 ? 'rule_change' : 'label_add', props: { rule_type: 'threshold' } })
    // And one crash that a fifth of the users hit every day they work: a fingerprint with k people.
    if (i % 5 === 0) values.push({ ...login, event_id: randomUUID(), name: 'app_crash', props: { error_type: 'TypeError', fingerprint: 'f3a9c1', fatal: 'true' } })
  }
  // One rare page, viewed by two people: the dashboard may show it only inside "other".
  for (const u of users.slice(0, 2)) values.push({ ...values.find((v) => v.user_hash === u.id && v.name === 'page_view')!, event_id: randomUUID(), props: { path: '/admin/audit' } })
  await client.insert({ table: 'events', values, format: 'JSONEachRow' })
  return values.length
}

/**
 * A month of the same kinds of events from only `people` users (fewer than k): every slice
 * has data and none may be shown, so every card of the dashboard is in its suppressed state.
 */
export async function seedFew(client: ClickHouseClient, appId: string, now: number, people = 3): Promise<number> {
  const today = Date.parse(new Date(now).toISOString().slice(0, 10))
  const values: Record<string, unknown>[] = []
  for (let d = 29; d >= 0; d--) {
    const day = today - d * DAY_MS
    for (let i = 0; i < people; i++) {
      const base = {
        app_id: appId, user_hash: `hash-few-${i}`, session_hash: `hash-few-${i}-${d}`, org_hash: '', salt_period: 1,
        country: 'DE', city: '', browser: 'Chrome', browser_version: '120', os: 'Windows', os_version: '11', device_type: 'desktop',
        lang: 'de', screen_w: 1920, screen_h: 1080, app_version: '4.2.1', deployment: 'cloud',
      }
      const at = (min: number, name: string, props: Record<string, string> = {}, metrics: Record<string, number> = {}) =>
        values.push({ ...base, event_id: randomUUID(), name, ts: stamp(day, min), received_at: stamp(day, min), props, metrics })
      at(0, 'app_start', { version: '4.2.1' })
      at(2, 'page_view', { path: '/dashboard' })
      at(4, 'report_query', { report: 'energy', status: 'ok' }, { duration_ms: 800, rows: 10 })
      at(6, 'cm_data_import', { status: 'ok' }, { records: 100 })
      at(8, 'rule_change', { rule_type: 'threshold' })
      at(10, 'feedback', { text: 'A text from one of three people', topic: 'general' }, { rating: 4 })
      at(12, 'app_crash', { error_type: 'TypeError', fingerprint: 'f3a9c1', fatal: 'true' })
      at(14, 'app_stop', {}, { uptime_ms: 40 * 60_000 })
    }
  }
  await client.insert({ table: 'events', values, format: 'JSONEachRow' })
  return values.length
}
