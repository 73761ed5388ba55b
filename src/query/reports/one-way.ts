// Reads a one-way table of one event name (paths, ratings, reports) together with that name's
// total, whose suppression is already decided (names.ts), in parallel.
import { select } from '../db.ts'
import { loadNameTotals, nameTotal } from '../names.ts'
import { oneWaySql } from '../table.ts'
import { baseParams, type ReportContext } from './context.ts'

export async function loadOneWay(ctx: ReportContext, eventName: string, inner: string, key: string, outer: readonly string[]) {
  const k = ctx.app.k_anonymity
  const [names, rows] = await Promise.all([
    loadNameTotals(ctx.client, ctx.app.id, ctx.range, k),
    select(ctx.client, oneWaySql(inner, key, outer), { ...baseParams(ctx), k }),
  ])
  return { total: nameTotal(names, eventName), rows }
}
