// The embedded engine's cheapest door for RowBinary rows: the body is written to a file (page
// cache only: the spool holds the durable copy) and the engine runs INSERT INTO t SELECT * FROM
// file(path, 'RowBinary', structure). chDB's raw insert takes text formats only; JSON through it
// costs about twice the engine CPU per row (bench/insert-cost.ts, bench/README.md). The insert's
// settings, its deduplication token included, apply as they do to any insert. With `skipStored`
// the same insert drops the rows whose event id is in recent_event_ids (sql/0033), inside the
// engine: no id is turned into text, and no separate lookup query is sent.
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import { EVENT_COLUMNS } from '../../pipeline/types.ts'
import { EVENT_STRUCTURE } from '../rows/event-rows.ts'
import { eventIdBytes } from '../rows/rows-format.ts'

export type FileFormat = 'RowBinary' | 'JSONCompactEachRow' | 'Native'

/** A string literal of ClickHouse SQL. */
export const quoteSql = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

/** The structure file() reads each table's RowBinary with: only the events table is fed this way. */
const STRUCTURES: Record<string, string> = { events: EVENT_STRUCTURE }

export interface FileDoorInsert {
  table: string
  columns: readonly string[]
  body: Buffer
  settings: Record<string, string | number>
  /** Leave out the rows whose event id is in recent_event_ids (events only; `storedCheck`). */
  skipStored?: boolean
  /** The body's row count, if known (sizes the ids file). */
  rows?: number
  /**
   * With `skipStored`: only these ids (16 RowBinary bytes each) are looked up, not all of the
   * body's: those the filter of stored ids may hold (stored-ids-filter.ts).
   */
  checkIds?: Buffer
}

/**
 * Where the stored-ids check reads the body's ids from: `same-file` (the default) the body's file
 * read a second time by the engine; `ids-file` a second file of the 16 raw id bytes per row,
 * copied out on this thread. bench/stored-check-cost.ts measured both about equal on the engine's
 * threads (about 1.5 us per row over no check), and `ids-file` 0.4-0.6 us per row more on the main
 * thread (the walk through every row), which is the scarcer one (bench/README.md).
 */
export type StoredCheck = 'same-file' | 'ids-file'

/**
 * The condition that drops stored rows: the body's ids become the set the lookup into
 * recent_event_ids is made with, so its primary key (event_id) picks the granules to read,
 * and only the ids found there become the NOT IN set.
 */
export const notStored = (ids: string) => `event_id NOT IN (SELECT event_id FROM recent_event_ids WHERE event_id IN (SELECT event_id FROM ${ids}))`

/** A RowBinary file of `event_id UUID` rows (eventIdBytes), as a table function. */
export const storedIdsSource = (path: string) => `file(${quoteSql(path)}, 'RowBinary', 'event_id UUID')`

/** Inserts RowBinary bodies through files in `dir` (emptied at start: files left by a crash). */
export function createFileDoor(client: ClickHouseClient, dir: string, storedCheck: StoredCheck = 'same-file') {
  mkdirSync(dir, { recursive: true })
  for (const f of readdirSync(dir)) rmSync(join(dir, f), { force: true })
  let n = 0
  return {
    async insert(r: FileDoorInsert): Promise<void> {
      const structure = STRUCTURES[r.table]
      if (!structure) throw new Error(`no RowBinary structure for table ${r.table}`)
      if (r.skipStored && r.table !== 'events') throw new Error(`the stored-ids check is for events, not ${r.table}`)
      const path = join(dir, `${process.pid}-${++n}.bin`)
      const source = `file(${quoteSql(path)}, 'RowBinary', ${quoteSql(structure)})`
      const idsPath = r.skipStored && (r.checkIds || storedCheck === 'ids-file') ? `${path}.ids` : undefined
      let where = ''
      try {
        await writeFile(path, r.body)
        if (idsPath) await writeFile(idsPath, r.checkIds ?? eventIdBytes(r.body, r.rows))
        if (r.skipStored) where = ` WHERE ${notStored(idsPath ? storedIdsSource(idsPath) : source)}`
        await client.command({
          query: `INSERT INTO ${r.table} (${r.columns.join(', ')}) SELECT * FROM ${source}${where}`,
          clickhouse_settings: r.settings,
        })
      } finally {
        await unlink(path).catch(() => undefined)
        if (idsPath) await unlink(idsPath).catch(() => undefined)
      }
    },
  }
}

/** For the benchmark: any format, any file already written. */
export function eventsFileInsert(client: ClickHouseClient) {
  return {
    structure: EVENT_STRUCTURE,
    async insert(path: string, format: FileFormat, settings: Record<string, string | number>): Promise<void> {
      await client.command({
        query: `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) SELECT * FROM file(${quoteSql(path)}, '${format}'${format === 'Native' ? '' : `, ${quoteSql(EVENT_STRUCTURE)}`})`,
        clickhouse_settings: settings,
      })
    },
  }
}
