// The two ways cells.ts decides sub-cells (a separate decision looked up with IN, or one read
// with window functions, used for crash fingerprints) give the same cells on every table of
// sub-cells, for k decided on users_upto (k <= 33) and on the uniqCombined states (k > 33).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { foldSubCells, type SubCells } from '../../src/query/cells.ts'
import { openSeededStats, type SeededStats } from './stats-setup.ts'

let s: SeededStats
beforeAll(async () => {
  s = await openSeededStats()
})
afterAll(() => s?.close())

const range = 'app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}'
const tables: SubCells[] = [
  { table: 'agg_pages_daily', where: range, partition: [], key: 'path', e: 'sum(views)' },
  { table: 'agg_crashes_daily', where: range, partition: [], key: 'tuple(fingerprint, toString(error_type))', e: 'sum(crashes)', fold: ['sum(fatal) AS f'] },
  { table: 'agg_report_queries_daily', where: range, partition: [], key: 'report', e: 'sum(queries)', fold: ['sum(failed) AS f', 'sum(rows) AS r'] },
  { table: 'agg_feedback_daily', where: range, partition: [], key: 'rating', e: 'sum(count)' },
  { table: 'agg_breakdowns_daily', where: `${range} AND dimension = 'country'`, partition: ['name'], key: 'value', e: 'sum(events)' },
]

describe('deciding sub-cells in one read (sparse) or apart', () => {
  for (const t of tables) {
    for (const k of [1, 3, 5, 40]) {
      it(`gives the same cells for ${t.table}, k = ${k}`, async () => {
        const folded = (t.fold ?? []).map((f) => /AS (\w+)$/.exec(f)![1]!)
        const run = (sparse: boolean) =>
          s.rows(
            `SELECT ${t.partition.map((p) => `${p}, `).join('')}toString(key) AS key, ok, slice_ok, finalizeAggregation(st) AS users, e, n${folded.map((f) => `, ${f}`).join('')}
             FROM (${foldSubCells({ ...t, sparse }, k)}) ORDER BY ALL`,
            { app: s.shop.id, from: s.days[0], to: s.days[6], k },
          )
        const apart = await run(false)
        const windowed = await run(true)
        // Shown and hidden cells both (k = 1 shows all; k = 40 is above the seed's 20 users, all hidden).
        expect(new Set(apart.map((r) => r.ok))).toEqual(new Set(k === 1 ? [1] : k === 40 ? [0] : [0, 1]))
        expect(windowed).toEqual(apart)
      })
    }
  }
})
