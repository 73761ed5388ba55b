// The embedded engine's cheapest door for RowBinary rows: the body is written to a file (page
// cache only: the spool holds the durable copy) and the engine runs INSERT INTO t SELECT * FROM
// file(path, 'RowBinary', structure). chDB's raw insert takes text formats only; JSON through it
// costs about twice the engine CPU per row (bench/insert-cost.ts, bench/README.md). The insert's
// settings, its deduplication token included, apply as they do to any insert.
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import { EVENT_COLUMNS } from '../pipeline/types.ts'
import { EVENT_STRUCTURE } from './event-rows.ts'

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
}

/** Inserts RowBinary bodies through files in `dir` (emptied at start: files left by a crash). */
export function createFileDoor(client: ClickHouseClient, dir: string) {
  mkdirSync(dir, { recursive: true })
  for (const f of readdirSync(dir)) rmSync(join(dir, f), { force: true })
  let n = 0
  return {
    async insert(r: FileDoorInsert): Promise<void> {
      const structure = STRUCTURES[r.table]
      if (!structure) throw new Error(`no RowBinary structure for table ${r.table}`)
      const path = join(dir, `${process.pid}-${++n}.bin`)
      await writeFile(path, r.body)
      try {
        await client.command({
          query: `INSERT INTO ${r.table} (${r.columns.join(', ')}) SELECT * FROM file(${quoteSql(path)}, 'RowBinary', ${quoteSql(structure)})`,
          clickhouse_settings: r.settings,
        })
      } finally {
        await unlink(path).catch(() => undefined)
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
