// Running report SQL: always parameterised ({name:Type}), results as plain rows. 64-bit
// integers come back as JSON numbers: counts here stay far below 2^53.
import type { ClickHouseClient } from '@clickhouse/client'

export type Row = Record<string, unknown>

export async function select(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<Row[]> {
  const rs = await client.query({
    query,
    query_params: params,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })
  return rs.json<Row>()
}

export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0))
export const str = (v: unknown): string => (typeof v === 'string' ? v : String(v ?? ''))

/** Rounds a derived number (a rate, an average) for the wire. */
export const round = (v: number, digits = 4): number => Number(v.toFixed(digits))
