// Per-name totals of a range (users and events of each event name, and of all events): the
// column totals of every two-way table and the totals of the one-way tables (paths, reports,
// ratings, fingerprints). Decided in one place so every report hides the same name totals.
import type { ClickHouseClient } from '@clickhouse/client'
import { num, select, str } from './db.ts'
import type { Range } from './params.ts'
import { suppressCells } from './suppress.ts'

export interface Total {
  users: number
  events: number
  suppressed: boolean
}

export interface NameTotals {
  all: Total
  byName: Map<string, Total>
}

const ALL = '\u0000all'

/** Suppression of the per-name totals: each is a part of the all-events total. */
export function decideNameTotals(all: { users: number; events: number }, names: Map<string, { users: number; events: number }>, k: number, hiddenUsers: number): NameTotals {
  const users = new Map<string, number>([[ALL, all.users], ...[...names].map(([n, c]) => [n, c.users] as const)])
  const hidden = suppressCells(users, [{ total: ALL, parts: [...names.keys()], hiddenUsers }], k)
  const byName = new Map([...names].map(([n, c]) => [n, { users: c.users, events: c.events, suppressed: hidden.has(n) }]))
  return { all: { ...all, suppressed: hidden.has(ALL) }, byName }
}

export async function loadNameTotals(client: ClickHouseClient, app: string, range: Range, k: number): Promise<NameTotals> {
  const rows = await select(
    client,
    // Same numbers as the column totals of matrix.ts, including `hidden` (names under k, merged).
    `SELECT name, grouping(name) AS g, uniqCombinedMerge(12)(st) AS users, uniqCombinedMergeIf(12)(st, cu < {k:UInt32}) AS hidden, sum(e) AS events
     FROM (
       SELECT toString(name) AS name, uniqCombinedMergeState(12)(users) AS st, uniqCombinedMerge(12)(users) AS cu, sum(events) AS e
       FROM agg_events_daily
       WHERE app_id = {app:String} AND day BETWEEN {from:Date} AND {to:Date}
       GROUP BY name
     )
     GROUP BY GROUPING SETS ((name), ())`,
    { app, k, from: range.from, to: range.to },
  )
  let hiddenUsers = 0
  let all = { users: 0, events: 0 }
  const names = new Map<string, { users: number; events: number }>()
  for (const r of rows) {
    const c = { users: num(r.users), events: num(r.events) }
    if (num(r.g) === 1) (all = c), (hiddenUsers = num(r.hidden))
    else names.set(str(r.name), c)
  }
  return decideNameTotals(all, names, k, hiddenUsers)
}

/** A name's total as shown; a name without events in the range is a true zero. */
export function nameTotal(t: NameTotals, name: string): Total {
  return t.byName.get(name) ?? { users: 0, events: 0, suppressed: false }
}
