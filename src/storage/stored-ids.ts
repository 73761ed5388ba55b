// Which of a group's events are stored already (sql/0033): the check that keeps a retry from
// being stored twice when it reaches another node than its first attempt, or this node after
// its retry memory (dedup.ts) has forgotten the id. One primary-key lookup per insert.
import type { ClickHouseClient } from '@clickhouse/client'
import { eventIdOf, splitRows, type RowsFormat } from './rows-format.ts'

export type StoredAmong = (ids: string[]) => Promise<Set<string>>

/** Ids per lookup query: a spool feed of 100 k rows as one parameter is a 3.7 MB query text. */
const LOOKUP_IDS = 5000

export function createStoredIds(client: ClickHouseClient): StoredAmong {
  return async (ids) => {
    const found = new Set<string>()
    for (let at = 0; at < ids.length; at += LOOKUP_IDS) {
      const rs = await client.query({
        query: 'SELECT DISTINCT toString(event_id) FROM recent_event_ids WHERE event_id IN {ids:Array(UUID)}',
        query_params: { ids: ids.slice(at, at + LOOKUP_IDS) },
        format: 'JSONCompactEachRow',
      })
      for (const [id] of await rs.json<[string]>()) found.add(id)
    }
    return found
  }
}

/** The lines of an encoded body whose event id is not in `stored`, and how many there are. */
export function withoutStored(body: Buffer, stored: Set<string>, format: RowsFormat = 'JSONCompactEachRow'): { body: Buffer; rows: number } {
  const keep = splitRows(body, format).filter((row) => !stored.has(eventIdOf(row, format) ?? ''))
  return { body: Buffer.concat(keep), rows: keep.length }
}
