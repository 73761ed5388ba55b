// The engine reading an events file already written, in any format it takes, for the studies that
// compare insert formats and views (insert-cost.ts, views-cost.ts, stored-check-cost.ts). The
// server's own door, RowBinary only, is src/storage/clickhouse/file-insert.ts.
import type { ClickHouseClient } from '@clickhouse/client'
import { EVENT_COLUMNS } from '../../src/pipeline/types.ts'
import { quoteSql } from '../../src/storage/clickhouse/file-insert.ts'
import { EVENT_STRUCTURE } from '../../src/storage/rows/event-rows.ts'

export type FileFormat = 'RowBinary' | 'JSONCompactEachRow' | 'Native'

/** INSERT INTO events SELECT * FROM file(path, format): Native carries its own structure. */
export function eventsFileInsert(client: ClickHouseClient) {
  return {
    structure: EVENT_STRUCTURE,
    async insert(path: string, format: FileFormat, settings: Record<string, string | number>): Promise<void> {
      const structure = format === 'Native' ? '' : `, ${quoteSql(EVENT_STRUCTURE)}`
      await client.command({
        query: `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) SELECT * FROM file(${quoteSql(path)}, '${format}'${structure})`,
        clickhouse_settings: settings,
      })
    },
  }
}
