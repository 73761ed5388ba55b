// Verbatim texts (PRIVACY.md 17, sql/0051): the scrubbed texts of props an app's plan declares
// `verbatim`, kept 30 days. Outside the anonymous data set, and every answer says so: they are
// not aggregates, k does not apply, and they may describe a person in words no detector knows.
import { select, str } from '../db.ts'
import { metaOf } from '../meta.ts'
import { baseParams, type ReportContext } from './context.ts'

export const VERBATIM_NOTE =
  'Outside the anonymous data set: these are texts as their authors wrote them (after the detectors), kept at most 30 days for props the plan declares verbatim; k does not apply to them. Delete by search term on request: veil verbatim delete --search <term>.'

export async function verbatimReport(ctx: ReportContext, limit: number) {
  const rows = await select(
    ctx.client,
    `SELECT name, key, text FROM verbatim_texts
     WHERE app_id = {app:String} AND toDate(received_at) BETWEEN {from:Date} AND {to:Date}
     ORDER BY received_at DESC LIMIT {limit:UInt32}`,
    { ...baseParams(ctx), limit },
  )
  return {
    meta: metaOf(ctx.app, ctx.range, !!ctx.noiseKey),
    outside_anonymous_data: true,
    note: VERBATIM_NOTE,
    texts: rows.map((r) => ({ event: str(r.name), prop: str(r.key), text: str(r.text) })),
  }
}
