// The values known to k people of an app (PRIVACY.md 17), held in memory by every ingestion node:
// a value in this set is stored as it is, any other as a token (seal-values step). Loaded from
// published_values (sql/0050_values.sql) and refreshed by the publisher's tick (publisher.ts).
import type { ClickHouseClient } from '@clickhouse/client'

export interface PublishedSet {
  has(appId: string, field: string, value: string): boolean
  /** Values this node published itself, known before the next refresh. */
  add(appId: string, entries: readonly { field: string; value: string }[]): void
  /** Reads the table again; the set is replaced, so a value whose rows expired leaves it. */
  refresh(): Promise<void>
  size(): number
}

/** app -> field -> values: three lookups and no string built per value on the hot path. */
type Published = Map<string, Map<string, Set<string>>>

function put(to: Published, appId: string, field: string, value: string): void {
  let fields = to.get(appId)
  if (!fields) to.set(appId, (fields = new Map()))
  let values = fields.get(field)
  if (!values) fields.set(field, (values = new Set()))
  values.add(value)
}

export function createPublishedSet(client: ClickHouseClient): PublishedSet {
  let byApp: Published = new Map()
  return {
    has(appId, field, value) {
      return byApp.get(appId)?.get(field)?.has(value) === true
    },
    add(appId, entries) {
      for (const e of entries) put(byApp, appId, e.field, e.value)
    },
    async refresh() {
      const rs = await client.query({ query: 'SELECT DISTINCT app_id, field, value FROM published_values', format: 'JSONCompactEachRow' })
      const next: Published = new Map()
      for (const [app, field, value] of await rs.json<[string, string, string]>()) put(next, app, field, value)
      byApp = next
    },
    size: () => [...byApp.values()].reduce((n, fields) => n + [...fields.values()].reduce((m, v) => m + v.size, 0), 0),
  }
}
