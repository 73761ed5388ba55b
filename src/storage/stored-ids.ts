// Which of a group's events are stored already (sql/0033): the check that keeps a retry from
// being stored twice when it reaches another node than its first attempt, or this node after
// its retry memory (dedup.ts) has forgotten the id. One primary-key lookup per insert.
import type { ClickHouseClient } from '@clickhouse/client'
import { eventIdOf, splitRows, type RowsFormat } from './rows-format.ts'

export type StoredAmong = (ids: string[]) => Promise<Set<string>>

export function createStoredIds(client: ClickHouseClient): StoredAmong {
  return async (ids) => {
    if (ids.length === 0) return new Set()
    const rs = await client.query({
      query: 'SELECT DISTINCT toString(event_id) FROM recent_event_ids WHERE event_id IN {ids:Array(UUID)}',
      query_params: { ids },
      format: 'JSONCompactEachRow',
    })
    return new Set((await rs.json<[string]>()).map((r) => r[0]))
  }
}

/** The lines of an encoded body whose event id is not in `stored`, and how many there are. */
export function withoutStored(body: Buffer, stored: Set<string>, format: RowsFormat = 'JSONCompactEachRow'): { body: Buffer; rows: number } {
  const keep = splitRows(body, format).filter((row) => !stored.has(eventIdOf(row, format) ?? ''))
  return { body: Buffer.concat(keep), rows: keep.length }
}
