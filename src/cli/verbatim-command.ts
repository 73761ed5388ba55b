// `veil verbatim delete --search <term>`: a data subject's request against the verbatim texts
// (sql/0051, PRIVACY.md 17), the one place Veil keeps text as it was written. Every text that
// contains the term (case-insensitive) is deleted, from the parts on disk too, and counted.
import type { ClickHouseClient } from '@clickhouse/client'
import type { Output } from './output.ts'

export const VERBATIM_USAGE = `  verbatim delete --search <term> [--app <id>]
                       delete every verbatim text (apps that declare them) containing the term`

const MATCH = 'positionCaseInsensitiveUTF8(text, {term:String}) > 0 AND ({app:String} = \'\' OR app_id = {app:String})'

/** Deletes the verbatim texts containing `term` (of one app, or all); returns how many. */
export async function deleteVerbatim(client: ClickHouseClient, term: string, app = ''): Promise<number> {
  const params = { term, app }
  const rs = await client.query({ query: `SELECT count() AS n FROM verbatim_texts WHERE ${MATCH}`, query_params: params, format: 'JSONEachRow' })
  const n = Number((await rs.json<{ n: string }>())[0]?.n ?? 0)
  if (n === 0) return 0
  await client.command({ query: `ALTER TABLE verbatim_texts DELETE WHERE ${MATCH}`, query_params: params, clickhouse_settings: { mutations_sync: '2' } })
  // The rewritten parts replace the old ones at once; the old ones are dropped from disk by the
  // engine's cleanup, which OPTIMIZE does not wait for: a final merge leaves one part per day.
  await client.command({ query: 'OPTIMIZE TABLE verbatim_texts FINAL' })
  return n
}

export async function runVerbatim(client: ClickHouseClient, args: string[], out: Output, err: Output): Promise<number> {
  const at = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined)
  const term = at('--search')
  if (args[0] !== 'delete' || !term || term.trim().length < 2) {
    await err.write(`usage:\n${VERBATIM_USAGE}\n(the term has at least two characters)\n`)
    return 2
  }
  const n = await deleteVerbatim(client, term, at('--app') ?? '')
  await out.write(`deleted ${n} verbatim text${n === 1 ? '' : 's'}\n`)
  return 0
}
