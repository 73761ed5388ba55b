// The cells of an explore answer (docs/reports.md "Explore"): atoms of one event's (salt period,
// day) slices, keyed by the filter fields' values and the breakdown value, decided by the same
// code as every fixed report (cells.ts foldSubCells: k, min orgs, secondary suppression).
import { counting, FIGURES, foldSubCells, UPTO } from './cells.ts'
import type { ExploreQuery } from './explore-params.ts'

const SEP = 'char(31)'

/**
 * One row per (period, day, a, m, b): `a` the filter fields' values (joined), `m` whether they
 * pass the filters, `b` the breakdown value. Read from `events` (props are not in the aggregate
 * tables); its primary key (app, day, name) narrows the read to one event over the range.
 */
function atomsSql(q: ExploreQuery, k: number): string {
  if (q.filters.length === 0 && (q.by === undefined || q.by.aggregated !== undefined)) return aggregatedAtomsSql(q, k)
  const a = q.filters.length === 0 ? `''` : `concat(${q.filters.map((f) => f.field.sql).join(`, char(30), `)})`
  const m = q.filters.length === 0 ? '1' : q.filters.map((f, i) => `has({fv${i}:Array(String)}, ${f.field.sql})`).join(' AND ')
  const b = q.by ? q.by.sql : `''`
  // n: the atom's people as the k decision counts them (cells.ts counting).
  const n = k <= UPTO + 1 ? 'users_upto' : 'users'
  return `SELECT *, finalizeAggregation(${n}) AS n FROM (
    SELECT salt_period AS period, toDate(ts) AS day, ${a} AS a, toUInt8(${m}) AS m, ${b} AS b,
           uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
           uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
           uniqUpToStateIf(32)(org_hash, org_hash != '' AND user_hash != '') AS orgs_upto,
           toUInt64(count()) AS events
    FROM events
    WHERE app_id = {app:String} AND toDate(ts) BETWEEN {from:Date} AND {to:Date} AND name = {event:String}
    GROUP BY period, day, a, m, b)`
}

/**
 * The same atoms, for an answer without filters over time or by a dimension the aggregate
 * tables hold: read from agg_events_daily or agg_breakdowns_daily (the rows the events report
 * and the breakdown report decide on), which are far smaller than the events.
 */
function aggregatedAtomsSql(q: ExploreQuery, k: number): string {
  const n = k <= UPTO + 1 ? 'users_upto' : 'users'
  const [table, b, dim] = q.by ? ['agg_breakdowns_daily', 'toString(value)', ' AND dimension = {aggdim:String}'] : ['agg_events_daily', "''", '']
  return `SELECT *, finalizeAggregation(${n}) AS n FROM (
    SELECT period, day, '' AS a, toUInt8(1) AS m, ${b} AS b,
           uniqCombinedMergeState(12)(users) AS users, uniqUpToMergeState(32)(users_upto) AS users_upto,
           uniqUpToMergeState(32)(orgs_upto) AS orgs_upto, toUInt64(sum(events)) AS events
    FROM ${table}
    WHERE app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date} AND name = {event:String}${dim}
    GROUP BY period, day, a, m, b)`
}

/**
 * Which atoms an answer may release, beyond foldSubCells' decision. A filtered answer shows
 * part of a slice; the rest of it is shown by other answers (the whole slice, a breakdown by
 * the same field, the filter without a breakdown). So that no difference of two answers singles
 * out fewer than k people, the unreleased part of each breakdown value (column: the people
 * outside the filter and in atoms under k) and, with a breakdown, of each filter value (row)
 * holds k people or none; when it does not, the released atom of that column or row with the
 * fewest people is held back too (its people are k or more, so holding it back keeps every other
 * row and column whole: one pass suffices).
 */
function releasedSql(q: ExploreQuery, k: number): string {
  const { mergeIf } = counting(k)
  const col = k <= UPTO + 1 ? 'users_upto' : 'users'
  const small = (s: string) => `(${s} > 0 AND ${s} < {k:UInt32})`
  const rows = q.filters.length > 0 && q.by !== undefined
  // One read of the atoms: the column's and row's inputs over windows, which merge only the
  // small users_upto states (cells.ts foldInOneRead does the same for its slices).
  return `
    SELECT period, day, if({week:Bool}, toMonday(day), day) AS bucket, day < {current:Date} AS side, concat(a, ${SEP}, b, ${SEP}, toString(rel)) AS akey,
           users, users_upto, orgs_upto, events
    FROM (
      SELECT *, m AND NOT (${small('cs')} AND a = cv)${rows ? ` AND NOT (${small('rs')} AND b = rv)` : ''} AS rel
      FROM (
        SELECT *,
               ${mergeIf}(${col}, m = 0 OR n < {k:UInt32}) OVER col AS cs, argMinIf(a, (n, events, a), m = 1 AND n >= {k:UInt32}) OVER col AS cv
               ${rows ? `, ${mergeIf}(${col}, m = 1 AND n < {k:UInt32}) OVER row AS rs, argMinIf(b, (n, events, b), m = 1 AND n >= {k:UInt32}) OVER row AS rv` : ''}
        FROM (${atomsSql(q, k)})
        WINDOW col AS (PARTITION BY period, day, b)${rows ? ', row AS (PARTITION BY period, day, a)' : ''}
      )
    )`
}

/**
 * The answer's figures by (bucket, breakdown value) with the four groupings (cell, bucket,
 * value, all), FIGURES over atoms that foldSubCells shows and releasedSql releases. The slice
 * figures (slice_users, slice_events, other_*) are those of the whole event, unfiltered. One
 * read covers the previous period and the range ({from} to {to}, the range from {current}):
 * `side` (1: previous) keeps their figures apart; slices are days, so neither changes the other's.
 */
export function exploreSql(q: ExploreQuery, k: number, minOrgs: number): string {
  // sparse: decided in one read of the atoms (cells.ts foldInOneRead), not one read per input.
  const folded = foldSubCells({ table: `(${releasedSql(q, k)})`, where: '1', partition: ['side', 'bucket'], key: 'akey', e: 'sum(events)', sparse: true }, k, minOrgs)
  return `
    SELECT side, toString(bucket) AS bucket, b, grouping(bucket, b) AS g, ${FIGURES}
    FROM (
      SELECT side, bucket, parts[2] AS b, shown AND parts[3] = '1' AS ok, slice_ok, st, e, n
      FROM (SELECT *, ok AS shown, splitByChar(char(31), key) AS parts FROM (${folded}))
    )
    GROUP BY GROUPING SETS ((side, bucket, b), (side, bucket), (side, b), (side))`
}

/** The typed parameters of exploreSql (the fields' own, the filters' values). */
export function exploreParams(q: ExploreQuery): Record<string, unknown> {
  const params: Record<string, unknown> = { event: q.event, ...(q.by?.params ?? {}), ...(q.by?.aggregated ? { aggdim: q.by.aggregated } : {}) }
  q.filters.forEach((f, i) => Object.assign(params, f.field.params, { [`fv${i}`]: f.values }))
  return params
}
