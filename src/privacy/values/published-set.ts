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

const entry = (field: string, value: string) => `${field}\u0000${value}`

export function createPublishedSet(client: ClickHouseClient): PublishedSet {
  let byApp = new Map<string, Set<string>>()
  return {
    has(appId, field, value) {
      const s = byApp.get(appId)
      return s !== undefined && s.has(entry(field, value))
    },
    add(appId, entries) {
      let s = byApp.get(appId)
      if (!s) byApp.set(appId, (s = new Set()))
      for (const e of entries) s.add(entry(e.field, e.value))
    },
    async refresh() {
      const rs = await client.query({ query: 'SELECT DISTINCT app_id, field, value FROM published_values', format: 'JSONCompactEachRow' })
      const next = new Map<string, Set<string>>()
      for (const [app, field, value] of await rs.json<[string, string, string]>()) {
        let s = next.get(app)
        if (!s) next.set(app, (s = new Set()))
        s.add(entry(field, value))
      }
      byApp = next
    },
    size: () => [...byApp.values()].reduce((n, s) => n + s.size, 0),
  }
}
