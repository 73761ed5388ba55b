// agg_people_daily (sql/0090) read back against the events table it is kept from, for the
// fault tests' closing checks and the table's own test (test/integration/people-daily.test.ts).
import type { ClickHouseClient } from '@clickhouse/client'

/**
 * Rows of agg_people_daily (sql/0090) that differ from the events table's count per person, day,
 * name, period and dimensions: each side's rows the other lacks.
 */
export async function peopleMismatches(client: ClickHouseClient, app: string): Promise<string[]> {
  const dims = 'org_hash, country, browser, os, device_type, lang, app_version, deployment'
  const q = async (query: string) =>
    (await (await client.query({ query, query_params: { app }, format: 'JSONCompactEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } })).json<unknown[]>()).map((r) => JSON.stringify(r))
  const fromEvents = await q(`SELECT toString(name) AS nm, toString(toDate(ts)) AS d, salt_period AS period, cityHash64(user_hash) AS person, ${dims}, count() AS n
    FROM events WHERE app_id = {app:String} AND user_hash != '' GROUP BY ALL ORDER BY ALL`)
  const fromPeople = await q(`SELECT toString(name) AS nm, toString(day) AS d, period, person, ${dims}, sum(events) AS n
    FROM agg_people_daily WHERE app_id = {app:String} GROUP BY ALL ORDER BY ALL`)
  const a = new Set(fromEvents)
  const b = new Set(fromPeople)
  return [...fromEvents.filter((r) => !b.has(r)).map((r) => `events ${r}`), ...fromPeople.filter((r) => !a.has(r)).map((r) => `agg_people_daily ${r}`)]
}
