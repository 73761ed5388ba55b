// `veil sql "<SELECT ...>"`: a read-only query whose rows are streamed to the output as
// JSONEachRow, one object per line, however many there are; memory stays flat.
import type { ClickHouseClient } from '@clickhouse/client'
import type { Output } from './output.ts'

export async function runSql(client: ClickHouseClient, query: string, out: Output): Promise<void> {
  const rs = await client.query({
    query,
    format: 'JSONEachRow',
    // Read-only on both engines: an INSERT, ALTER or DROP is refused by ClickHouse itself.
    clickhouse_settings: { readonly: '1' },
  })
  const stream = rs.stream()
  try {
    for await (const rows of stream) {
      let chunk = ''
      for (const row of rows as { text: string }[]) chunk += row.text + '\n'
      if (chunk) await out.write(chunk)
    }
  } finally {
    stream.destroy()
  }
}
