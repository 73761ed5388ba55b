// Which of a group's events are stored already (sql/0033): the check that keeps a retry from
// being stored twice when it reaches another node than its first attempt, or this node after
// its retry memory (storage/dedup/retry-memory.ts) has forgotten the id. One primary-key lookup per insert; on the
// embedded engine only of the ids the filter of stored ids may hold (stored-ids-filter.ts).
import { readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import { quoteSql } from '../clickhouse/file-insert.ts'
import { uuidText } from '../rows/row-binary.ts'
import { createStoredIdsFilter, type StoredIdsFilter } from './stored-ids-filter.ts'
import { eventIdOf, eventIdsOf, splitRows, type RowsFormat } from '../rows/rows-format.ts'

/** How long recent_event_ids keeps an id at least (its TTL, sql/0033). */
export const RECENT_IDS_MS = 2 * 3600_000

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

/**
 * The lookup narrowed by the filter of stored ids: once it is loaded, only the ids it may hold
 * are looked up, and a group with none is answered without a query; before, every id.
 */
export function probableOnly(storedAmong: StoredAmong, filter: StoredIdsFilter | undefined): StoredAmong {
  if (!filter) return storedAmong
  return async (ids) => {
    const maybe = filter.loaded ? await filter.probableYielding(ids) : ids
    return maybe.length > 0 ? storedAmong(maybe) : new Set()
  }
}

/** The lines of an encoded body whose event id is not in `stored`, and how many there are. */
export function withoutStored(body: Buffer, stored: Set<string>, format: RowsFormat = 'JSONCompactEachRow'): { body: Buffer; rows: number } {
  const keep = splitRows(body, format).filter((row) => !stored.has(eventIdOf(row, format) ?? ''))
  return { body: Buffer.concat(keep), rows: keep.length }
}

/**
 * Fills `filter` with the ids in recent_event_ids (those stored before this process started), a
 * million at a time in id order, each slice written by the engine to a RowBinary file of 16-byte
 * ids and read back (the client takes no binary results); then marks it loaded. Embedded
 * engine only: `path` is a file it may write.
 */
export async function loadStoredIds(client: ClickHouseClient, filter: StoredIdsFilter, path: string, slice = 1_000_000): Promise<number> {
  let after: string | undefined
  let n = 0
  const [[count]] = await (await client.query({ query: 'SELECT count() FROM recent_event_ids', format: 'JSONCompactEachRow' })).json<[string]>()
  filter.reserve(Number(count))
  try {
    for (;;) {
      await client.command({
        query: `INSERT INTO FUNCTION file(${quoteSql(path)}, 'RowBinary', 'event_id UUID') SELECT event_id FROM recent_event_ids${after ? ' WHERE event_id > {after:UUID}' : ''} ORDER BY event_id LIMIT {slice:UInt32}`,
        query_params: { after, slice },
        clickhouse_settings: { engine_file_truncate_on_insert: 1 },
      })
      const ids = await readFile(path)
      // A few milliseconds at a time, so requests are answered in between: 65,536 ids in one go
      // took 20-30 ms (bench/studies/stored-ids-filter-pauses.ts).
      await filter.addIdRowsYielding(ids)
      n += ids.length / 16
      if (ids.length < slice * 16) break
      after = uuidText(ids, ids.length - 16)
    }
  } finally {
    await unlink(path).catch(() => undefined)
  }
  filter.markLoaded()
  return n
}

/** The ids stored in one embedded store, shared by every Storage of this process opened on it. */
export interface StoredIds {
  filter: StoredIdsFilter
  /** Fills the filter from recent_event_ids once per store (after migrations); later calls wait for the first. */
  load(): Promise<number>
  /** After an insert into events: its ids are stored now. */
  remember(body: Buffer, format: RowsFormat): Promise<void>
  release(): void
}

// chDB opens one data directory per process, and every Storage on it shares the engine: so
// they share one filter too, or an insert through one would be unknown to the check of another.
const stores = new Map<string, { ids: StoredIds; users: number }>()

export function sharedStoredIds(client: ClickHouseClient, dataDir: string, maxBytes: number): StoredIds {
  const known = stores.get(dataDir)
  if (known) {
    known.users++
    return known.ids
  }
  const filter = createStoredIdsFilter({ windowMs: RECENT_IDS_MS, maxBytes })
  let loading: Promise<number> | undefined
  const ids: StoredIds = {
    filter,
    load: () => (loading ??= loadStoredIds(client, filter, join(dataDir, 'veil-feed', `recent-ids-${process.pid}.bin`))),
    async remember(body, format) {
      if (format === 'RowBinary') await filter.addBody(body)
      else filter.add(eventIdsOf(body, format))
    },
    release() {
      const entry = stores.get(dataDir)
      if (entry && --entry.users === 0) stores.delete(dataDir)
    },
  }
  stores.set(dataDir, { ids, users: 1 })
  return ids
}
