// A small, hand-countable data set for the reports tests: events written straight into the
// events table (as the ingestion pipeline would leave them), so the materialized views fill.
// Expected numbers in the tests are worked out from the comments here.
import { randomUUID } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'

const DAY_MS = 86_400_000

/** Seven UTC days, Monday first, starting two to three weeks before `now`. */
export function seedWeek(now = Date.now()): string[] {
  const today = Date.parse(new Date(now).toISOString().slice(0, 10))
  const monday = today - 14 * DAY_MS - ((new Date(today).getUTCDay() + 6) % 7) * DAY_MS
  return Array.from({ length: 7 }, (_, i) => new Date(monday + i * DAY_MS).toISOString().slice(0, 10))
}

export interface SeedEvent {
  day: number
  name: string
  user: number
  props?: Record<string, string>
  metrics?: Record<string, number>
  version?: string
}

/** u1..u8 DE, u9..u14 AT, u15..u17 CH, u18..u20 LI. */
export function countryOf(user: number): string {
  return user <= 8 ? 'DE' : user <= 14 ? 'AT' : user <= 17 ? 'CH' : 'LI'
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i)

export function seedEvents(): SeedEvent[] {
  const out: SeedEvent[] = []
  const add = (day: number, name: string, users: number[], extra: Omit<SeedEvent, 'day' | 'name' | 'user'> = {}, times = 1) => {
    for (const user of users) for (let t = 0; t < times; t++) out.push({ day, name, user, ...extra })
  }
  // login: D0 u1-10, D1 u1-8, D2 u1-3 (under k).
  add(0, 'login', range(1, 10))
  add(1, 'login', range(1, 8))
  add(2, 'login', range(1, 3))
  // page_view: /home D0 u1-6 twice and D2 u1-9; /reports D0 u1-5; /settings D0 u7-8 (under k).
  add(0, 'page_view', range(1, 6), { props: { path: '/home' } }, 2)
  add(0, 'page_view', range(1, 5), { props: { path: '/reports' } })
  add(0, 'page_view', [7, 8], { props: { path: '/settings' } })
  add(2, 'page_view', range(1, 9), { props: { path: '/home' } })
  // D3: starts and crashes per version; app_stop uptime 60 s x user number for u1-10.
  add(3, 'app_start', range(1, 10), { version: '2.0' })
  add(3, 'app_start', range(11, 16), { version: '1.9' })
  add(3, 'app_start', range(13, 18), { version: '2.1' })
  add(3, 'app_crash', range(1, 6), { version: '2.0', props: { fingerprint: 'fp-a', error_type: 'TypeError', fatal: 'true' } })
  add(3, 'app_crash', range(13, 17), { version: '2.1', props: { fingerprint: 'fp-c', error_type: 'TypeError', fatal: 'true' } })
  add(3, 'app_crash', [11], { version: '1.9', props: { fingerprint: 'fp-b', error_type: 'RangeError', fatal: 'false' } }, 2)
  for (const u of range(1, 10)) add(3, 'app_stop', [u], { metrics: { uptime_ms: 60_000 * u } })
  // D4: report queries; monthly_alarms u1-10 100..1000 ms; utilisation u11-16 1000 ms;
  // machine_list u6 twice (one failed). A custom event by one user.
  for (const u of range(1, 10)) add(4, 'report_query', [u], { props: { report: 'monthly_alarms', status: 'ok' }, metrics: { duration_ms: 100 * u, rows: 10 } })
  add(4, 'report_query', range(11, 16), { props: { report: 'utilisation', status: 'ok' }, metrics: { duration_ms: 1000, rows: 5 } })
  add(4, 'report_query', [6], { props: { report: 'machine_list', status: 'ok' }, metrics: { duration_ms: 50, rows: 1 } })
  add(4, 'report_query', [6], { props: { report: 'machine_list', status: 'error' }, metrics: { duration_ms: 70, rows: 0 } })
  add(4, 'export.pdf', [20])
  // CM imports: D0 u1-6 (u1-2 failed), D1 u1-2 (under k), D5 u1-7.
  add(0, 'cm_data_import', [1, 2], { props: { status: 'failed' } })
  add(0, 'cm_data_import', range(3, 6), { props: { status: 'ok' }, metrics: { records: 100 } })
  add(1, 'cm_data_import', [1, 2], { props: { status: 'ok' }, metrics: { records: 100 } })
  add(5, 'cm_data_import', range(1, 7), { props: { status: 'ok' }, metrics: { records: 10 } })
  // D5 feedback: 5 stars u1-8 (texts u1-5), 4 stars u9-15 (texts u9-10), 3 stars u1-10
  // (texts u1-2), 1 star u7 (text).
  // Texts are stored as their terms (src/privacy/values/words.ts), each author with a word of their own.
  for (const u of range(1, 8)) add(5, 'feedback', [u], { metrics: { rating: 5 }, props: u <= 5 ? { text: `great|reports|great reports|own${'abcdefgh'[u]}` } : {} })
  for (const u of range(9, 15)) add(5, 'feedback', [u], { metrics: { rating: 4 }, props: u <= 10 ? { text: 'good' } : {} })
  for (const u of range(1, 10)) add(5, 'feedback', [u], { metrics: { rating: 3 }, props: u <= 2 ? { text: 'okay' } : {} })
  add(5, 'feedback', [7], { metrics: { rating: 1 }, props: { text: 'crashes|mail' } })
  // D6: rules and labels; logout u1-5.
  add(6, 'rule_add', range(1, 12), { props: { rule_type: 'threshold' } })
  add(6, 'label_remove', [1])
  add(6, 'logout', range(1, 5))
  return out
}

export async function insertSeed(client: ClickHouseClient, appId: string, days: string[], events = seedEvents()): Promise<number> {
  const values = events.map((e, i) => {
    const ts = `${days[e.day]} 10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000`
    return {
      app_id: appId, event_id: randomUUID(), name: e.name, ts, received_at: ts,
      user_hash: `hash-u${e.user}`, session_hash: `hash-s${e.user}-${e.day}`, org_hash: '', salt_period: 1,
      props: e.props ?? {}, metrics: e.metrics ?? {},
      country: countryOf(e.user), city: '', browser: 'Chrome', browser_version: '120', os: 'Windows', os_version: '11',
      device_type: 'desktop', lang: 'de', screen_w: 1920, screen_h: 1080, app_version: e.version ?? '2.0', deployment: 'cloud',
    }
  })
  await client.insert({ table: 'events', values, format: 'JSONEachRow' })
  return values.length
}
