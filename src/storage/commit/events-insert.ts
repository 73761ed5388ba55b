// The insert into events, one fact each: the settings every insert carries (server, spool, CLI
// refeed alike), the store check's policy (is an event stored already? asked in one place), and
// the two shapes the writers call: rows (direct mode) and encoded bytes (the spool).
import { createHash } from 'node:crypto'
import type { Config } from '../../config.ts'
import { EVENT_COLUMNS, type EventRow } from '../../pipeline/types.ts'
import type { Storage } from '../clickhouse/client.ts'
import { encodeRows, eventIdsOf, JSON_ROWS_FORMAT, type RowsFormat } from '../rows/rows-format.ts'
import { hasTable } from '../schema/migrate.ts'
import { createStoredIds, probableOnly, withoutStored, type StoredAmong } from '../dedup/stored-ids.ts'

export type InsertFn = (rows: EventRow[], token: string) => Promise<void>
/** Inserts rows already encoded (rows-format.ts; JSON unless `format` says), as the spool keeps them; `first`: see SpoolOptions. */
export type SpoolInsertFn = (body: Buffer, rows: number, token: string, first?: boolean, format?: RowsFormat) => Promise<void>

/** The insert token of a group of rows: a replay of the same rows is a no-op in ClickHouse. */
export function tokenOfRows(rows: EventRow[]): string {
  const h = createHash('sha256')
  for (const r of rows) h.update(r[1])
  return h.digest('hex')
}

/**
 * The settings of every insert into events. The views deduplicate with the token too (sql/0032):
 * a re-sent block neither counts twice in the aggregates nor stays missing from them
 * (docs/durability.md, F12, F13). On a cluster the Distributed table must hand rows to the shards
 * before the insert returns, or "committed" would mean "queued on one node".
 */
export function eventsInsertSettings(config: Pick<Config, 'CLICKHOUSE_CLUSTER'>, token: string): Record<string, string | number> {
  return {
    insert_deduplication_token: token,
    // Spool frames written before a column was added (sql/0009), and dead letters kept from
    // then, hold fewer values per row; they take the column's default instead of being refused.
    input_format_json_compact_allow_variable_number_of_columns: 1,
    deduplicate_blocks_in_dependent_materialized_views: 1,
    ...(config.CLICKHOUSE_CLUSTER ? { distributed_foreground_insert: 1 } : {}),
  }
}

/** Inserts an encoded body into events with those settings (`skipStored`: see RawInsert). */
export function insertEventsBody(storage: Storage, config: Pick<Config, 'CLICKHOUSE_CLUSTER'>) {
  return (body: Buffer, rows: number, token: string, format: RowsFormat = JSON_ROWS_FORMAT, skipStored = false) =>
    storage.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format, body, rows, settings: eventsInsertSettings(config, token), skipStored })
}

/**
 * What the embedded engine needs to keep a filter of the ids it stored: bytes for it only when
 * the store check is on (DEDUP_STORE_CHECK), since the filter serves nothing else.
 */
export function storedIdsFilterBytes(config: Pick<Config, 'DEDUP_STORE_CHECK' | 'STORED_IDS_FILTER_BYTES'>): number {
  return config.DEDUP_STORE_CHECK ? config.STORED_IDS_FILTER_BYTES : 0
}


/**
 * The store check (sql/0033; docs/durability.md, "several nodes"): events another node (or this
 * one, beyond its retry memory) stored already are left out of an insert. Decided here once:
 * on when DEDUP_STORE_CHECK is and recent_event_ids exists; then either inside the embedded
 * engine's RowBinary insert (file-insert.ts: no id as text) or by a lookup before the insert
 * (direct mode, JSON frames, a server). On the embedded engine the lookup asks only about the
 * ids its filter of stored ids may hold, once loaded (stored-ids-filter.ts). The view keeps
 * rows by the engine's wall clock while received_at comes from this node's: in production both
 * are the wall clock; a node more than an hour off simply has no rows in it.
 */
export interface StoreCheck {
  /** Which of these ids are stored already. */
  storedAmong: StoredAmong
  /** Whether the insert of `format` leaves stored ids out by itself. */
  insideInsert(format: RowsFormat): boolean
}

export async function openStoreCheck(config: Pick<Config, 'DEDUP_STORE_CHECK'>, storage: Storage, timed: (s: StoredAmong) => StoredAmong): Promise<StoreCheck | undefined> {
  if (!config.DEDUP_STORE_CHECK || !(await hasTable(storage.client, 'recent_event_ids'))) return undefined
  return {
    storedAmong: probableOnly(timed(createStoredIds(storage.client)), storage.storedIds?.filter),
    insideInsert: (format) => storage.skipsStoredIn(format),
  }
}

/** Direct mode's insert: rows stored already are left out, the rest encoded once and inserted. */
export function directInsert(insertBody: ReturnType<typeof insertEventsBody>, check: StoreCheck | undefined): InsertFn {
  return async (rows, token) => {
    const stored = check ? await check.storedAmong(rows.map((r) => r[1])) : undefined
    const fresh = stored?.size ? rows.filter((r) => !stored.has(r[1])) : rows
    if (fresh.length > 0) await insertBody(encodeRows(fresh), fresh.length, token)
  }
}

/**
 * The spool's insert. Only a range's first attempt is checked: a replay or a retry re-sends the
 * range as it was, so that its token means the same rows (and fills views a crash cut off).
 */
export function spoolInsert(insertBody: ReturnType<typeof insertEventsBody>, check: StoreCheck | undefined): SpoolInsertFn {
  return async (body, rows, token, first, format = JSON_ROWS_FORMAT) => {
    if (first && check) {
      if (check.insideInsert(format)) return insertBody(body, rows, token, format, true)
      const stored = await check.storedAmong(eventIdsOf(body, format))
      if (stored.size > 0) ({ body, rows } = withoutStored(body, stored, format))
      if (rows === 0) return
    }
    return insertBody(body, rows, token, format)
  }
}
