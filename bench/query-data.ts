// Synthetic events for the query benchmark, generated inside ClickHouse (INSERT ... SELECT
// FROM numbers) in chunks, so the materialized views aggregate them as they would live data.
// Every column is a deterministic hash of the row number: the same arguments give the same data.
import type { ClickHouseClient } from '@clickhouse/client'

export interface GenerateOptions {
  appId: string
  events: number
  days: number
  users: number
  /** Epoch ms of the newest event. */
  end: number
  chunk?: number
  onChunk?: (done: number) => void
}

// Weighted names: page views dominate, as in real product usage.
const NAMES = [
  ...Array(10).fill('page_view'), 'login', 'login', 'app_start', 'app_start', 'app_stop', 'app_stop',
  'report_query', 'report_query', 'report_query', 'cm_data_import', 'feedback', 'app_crash', 'logout',
  'rule_add', 'rule_change', 'rule_remove', 'label_add', 'label_change', 'label_remove',
]

const SQL = `
INSERT INTO events
SELECT
  {app:String} AS app_id,
  generateUUIDv4(number) AS event_id,
  {names:Array(String)}[1 + cityHash64(number, 1) % length({names:Array(String)})] AS name,
  fromUnixTimestamp64Milli(toInt64({end:Int64} - cityHash64(number, 2) % ({days:UInt32} * 86400000)), 'UTC') AS ts,
  ts AS received_at,
  -- Users follow a skewed distribution: a few heavy users, a long tail of rare ones.
  concat('u', toString(cityHash64(number, 3) % (1 + cityHash64(number, 4) % {users:UInt32}))) AS user_hash,
  concat(user_hash, '-', toString(toDate(ts))) AS session_hash,
  '' AS org_hash,
  toUInt32(toDate(ts)) AS salt_period,
  multiIf(
    name = 'page_view', map('path', ['/dashboard', '/machines', '/machines/:id', '/reports', '/reports/:id', '/settings', '/alarms', '/admin/audit'][1 + cityHash64(number, 5) % 8]),
    name = 'report_query', map('report', concat('report_', toString(cityHash64(number, 6) % 40)), 'status', if(cityHash64(number, 7) % 25 = 0, 'error', 'ok')),
    name = 'cm_data_import', map('status', if(cityHash64(number, 7) % 12 = 0, 'failed', 'ok')),
    name = 'app_crash', map('fingerprint', concat('fp', toString(cityHash64(number, 8) % 300)), 'error_type', ['TypeError', 'RangeError', 'IOError'][1 + cityHash64(number, 9) % 3], 'fatal', 'true'),
    name = 'feedback', if(cityHash64(number, 10) % 3 = 0, map('text', concat('feedback text ', toString(cityHash64(number, 11) % 1000))), map()),
    name LIKE 'rule_%', map('rule_type', 'threshold'),
    map()) AS props,
  multiIf(
    name = 'report_query', map('duration_ms', 100 + (cityHash64(number, 12) % 1000) * (cityHash64(number, 13) % 10), 'rows', toFloat64(cityHash64(number, 14) % 500)),
    name = 'app_stop', map('uptime_ms', toFloat64(60000 + cityHash64(number, 15) % 28800000)),
    name = 'cm_data_import', map('records', toFloat64(cityHash64(number, 16) % 5000)),
    name = 'feedback', map('rating', toFloat64(1 + cityHash64(number, 17) % 5)),
    map()) AS metrics,
  ['DE', 'DE', 'DE', 'AT', 'CH', 'US', 'FR', 'IT', 'PL', 'CN', 'JP', 'BR'][1 + cityHash64(user_hash, 1) % 12] AS country,
  '' AS city,
  ['Chrome', 'Chrome', 'Firefox', 'Edge', 'Safari'][1 + cityHash64(user_hash, 2) % 5] AS browser,
  toString(110 + cityHash64(user_hash, 3) % 15) AS browser_version,
  ['Windows', 'Windows', 'macOS', 'Linux'][1 + cityHash64(user_hash, 4) % 4] AS os,
  '11' AS os_version,
  ['desktop', 'desktop', 'desktop', 'tablet', 'mobile'][1 + cityHash64(user_hash, 5) % 5] AS device_type,
  ['de', 'de', 'en', 'fr', 'it', 'pl'][1 + cityHash64(user_hash, 6) % 6] AS lang,
  [1920, 1920, 2560, 1366, 1440][1 + cityHash64(user_hash, 7) % 5] AS screen_w,
  [1080, 1080, 1440, 768, 900][1 + cityHash64(user_hash, 7) % 5] AS screen_h,
  ['4.2.1', '4.2.0', '4.1.3', '4.0.0', '3.9.2'][1 + cityHash64(user_hash, 8) % 5] AS app_version,
  'cloud' AS deployment,
  'user' AS user_kind
FROM numbers({offset:UInt64}, {count:UInt64})`

export async function generateEvents(client: ClickHouseClient, o: GenerateOptions): Promise<void> {
  const chunk = o.chunk ?? 1_000_000
  for (let offset = 0; offset < o.events; offset += chunk) {
    const count = Math.min(chunk, o.events - offset)
    await client.command({
      query: SQL,
      query_params: { app: o.appId, names: NAMES, end: o.end, days: o.days, users: o.users, offset, count },
    })
    o.onChunk?.(offset + count)
  }
}
