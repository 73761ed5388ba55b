// Tokens in reports (PRIVACY.md 17, docs/reports.md "Values known to k people"): an aggregate
// keeps an unpublished value as its token (`~` and 16 hex digits). Reports map a token of a
// period to the value published for it (published_values, sql/0050_values.sql); one never
// published is shown by no name, only as `:rare` inside a path or counted in `rare`.
import { num } from './db.ts'
import type { OneWay } from './table.ts'

/** What a report shows for a token nobody published: a placeholder, never the token. */
export const RARE = ':rare'


const TOKEN = `'^~[0-9a-f]{16}$'`
// The app's published values as one map (`period:token` -> value), a scalar subquery that the
// engine runs once per statement wherever it appears.
const PUBLISHED = `(SELECT CAST((groupArray(k), groupArray(v)), 'Map(String, String)') FROM (
  SELECT DISTINCT concat(toString(period), ':', token) AS k, value AS v FROM published_values WHERE app_id = {app:String}))`
const lookup = (s: string) => `if(mapContains(${PUBLISHED}, concat(toString(period), ':', ${s})), ${PUBLISHED}[concat(toString(period), ':', ${s})], '${RARE}')`

/** A column holding one value (a report, a fingerprint, a name): its value, or :rare. The row must have `period`. */
export const mappedValue = (col: string) => `if(match(${col}, ${TOKEN}), ${lookup(col)}, ${col})`

/** A path column, segment by segment: `/candidates/~...` -> `/candidates/jane` or `/candidates/:rare`. */
export const mappedPath = (col: string) => `if(position(${col}, '~') = 0, ${col}, arrayStringConcat(arrayMap(s -> if(match(s, ${TOKEN}), ${lookup('s')}, s), splitByChar('/', ${col})), '/'))`

/**
 * Takes the `:rare` row out of a one-way table: its events are returned as `rare` (null when
 * there is none or it is not shown), so the rows list values only and total = rows + other + rare.
 */
export function takeRare<T>(t: OneWay<T>, eventsOf: (c: T) => number | null): { events: number } | null {
  const c = t.cells.get(RARE)
  if (c === undefined) return null
  t.cells.delete(RARE)
  const events = eventsOf(c)
  return events === null || num(events) === 0 ? null : { events }
}
