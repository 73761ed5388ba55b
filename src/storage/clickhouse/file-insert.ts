// The embedded engine's cheapest door for RowBinary rows: the body is written to a file (page
// cache only: the spool holds the durable copy) and the engine runs INSERT INTO t SELECT * FROM
// file(path, 'RowBinary', structure). chDB's raw insert takes text formats only; JSON through it
// costs about twice the engine CPU per row (bench/studies/insert-cost.ts, docs/performance.md).
// The insert's settings, its deduplication token included, apply as to any insert. With `skipStored`
// the same insert drops the rows whose event id is in recent_event_ids (sql/0033), inside the
// engine: no id is turned into text, and no separate lookup query is sent.
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import { EVENT_STRUCTURE } from '../rows/event-rows.ts'

/** A string literal of ClickHouse SQL. */
export const quoteSql = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

/** The structure file() reads each table's RowBinary with: only the events table is fed this way. */
const STRUCTURES: Record<string, string> = { events: EVENT_STRUCTURE }

export interface FileDoorInsert {
  table: string
  columns: readonly string[]
  body: Buffer
  settings: Record<string, string | number>
  /** Leave out the rows whose event id is in recent_event_ids (events only; createFileDoor). */
  skipStored?: boolean
  /** The body's row count, if known. */
  rows?: number
  /**
   * With `skipStored`: only these ids (16 RowBinary bytes each) are looked up, not all of the
   * body's: those the filter of stored ids may hold (stored-ids-filter.ts).
   */
  checkIds?: Buffer
}

/**
 * The condition that drops stored rows: the body's ids become the set the lookup into
 * recent_event_ids is made with, so its primary key (event_id) picks the granules to read,
 * and only the ids found there become the NOT IN set.
 */
export const notStored = (ids: string) => `event_id NOT IN (SELECT event_id FROM recent_event_ids WHERE event_id IN (SELECT event_id FROM ${ids}))`

/** A RowBinary file of `event_id UUID` rows (eventIdBytes), as a table function. */
export const storedIdsSource = (path: string) => `file(${quoteSql(path)}, 'RowBinary', 'event_id UUID')`

/**
 * Inserts RowBinary bodies through files in `dir` (emptied at start: files left by a crash). The
 * stored-ids check reads the body's ids from the body's own file a second time, or from a second
 * file when `checkIds` narrows them. Copying every id into a second file cost the engine no less
 * and the main thread 0.4-0.6 us per row more (bench/studies/stored-check-cost.ts, `ids-file`;
 * docs/performance.md), so a full check reads the body twice.
 */
export function createFileDoor(client: ClickHouseClient, dir: string) {
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
      const ids = r.skipStored ? r.checkIds : undefined
      const idsPath = `${path}.ids`
      let where = ''
      try {
        await writeFile(path, r.body)
        if (ids) await writeFile(idsPath, ids)
        if (r.skipStored) where = ` WHERE ${notStored(ids ? storedIdsSource(idsPath) : source)}`
        await client.command({
          query: `INSERT INTO ${r.table} (${r.columns.join(', ')}) SELECT * FROM ${source}${where}`,
          clickhouse_settings: r.settings,
        })
      } finally {
        await unlink(path).catch(() => undefined)
        if (ids) await unlink(idsPath).catch(() => undefined)
      }
    },
  }
}
