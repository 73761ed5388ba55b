// The release query (docs/reports.md "Noise"): the exact figures of every atom (salt period x
// day x cell) of a card in one statement over the events table, each person's events clamped per
// atom (release.ts EVENTS_PER_PERSON) before they are summed; release.ts gates and noises them.
import type { ClickHouseClient } from '@clickhouse/client'
import { num, select, str } from './db.ts'
import { EVENTS_PER_PERSON, type Atom } from './release.ts'
import { mappedValue } from './values.ts'

/**
 * The levels of atoms a card may ask for; a cell's name says its level, so that one atom is
 * named the same (and drawn once) in every report:
 * - cell: one event name and one sub-cell (`name<US>space<US>key`), e.g. login in AT;
 * - slice: one event name (`name`), the atom the events report and every total share;
 * - key: one sub-cell over all names asked for (`*scope<US>space<US>key`), a breakdown row;
 * - all: every name asked for (`*scope`), the all-events row.
 * The scope (the names asked for, '' for all) is part of the last two: the same people counted
 * over other names are another atom with a draw of its own, never the same draw on another value.
 */
export type Level = 'cell' | 'slice' | 'key' | 'all'

export interface AtomQuery {
  app: string
  from: string
  to: string
  /** Only these event names (their atoms are the same as with all names). */
  names?: readonly string[]
  /**
   * The sub-cell, an SQL expression over the events table's columns (and `period`), from code
   * only, never from a request (e.g. the breakdown dimension's column, a mapped path), and the
   * name of its space (`country`, `path`, ...), part of every cell's name.
   */
  key?: {
    space: string
    sql: string
    arrayJoin?: string
    /** How the stored key is shown (e.g. mappedPath of values.ts), SQL over the column named by the argument; `period` is there. */
    display?: (column: string) => string
  }
  /** More rows filters, from code only (e.g. `name = 'page_view'`). */
  where?: string
  /** Further counts by name, each an SQL condition from code, clamped per person like events. */
  counts?: Readonly<Record<string, string>>
  levels: readonly Level[]
  /** Typed parameters the key's and where's SQL read (explore's fields: src/query/explore-fields.ts). */
  params?: Readonly<Record<string, unknown>>
  /** Names the rows' selection when its values are parameters (explore's filter values), so each selection has its own draws. */
  variant?: string
  /**
   * Where the rows come from: `events` (default), or `people`, the events per person and day of
   * agg_people_daily (sql/0090), for a key and where that read only its columns (the closed-list
   * dimensions) and no counts: the same atoms from person-day rows instead of events.
   */
  source?: 'events' | 'people'
  /**
   * Whether the atoms' organisations are read (default: yes); a release without
   * min_orgs_per_cell never looks at them (release.ts), and from agg_people_daily, where each
   * person's org is a text state of the grouping, leaving them out costs a quarter less.
   */
  orgs?: boolean
}

const US = '\u001f'

/** A cell's name at its level (see Level). */
export function cellOf(level: Level, name: string, space = '', key = '', scope = ''): string {
  if (level === 'slice') return name
  if (level === 'all') return `*${scope}`
  return `${level === 'key' ? `*${scope}` : name}${US}${space}${US}${key}`
}

/** The grouping set of each level, and the number that marks its rows, grouping()'s (bit 1: name rolled up, bit 0: key). */
const SETS: Record<Level, { set: string; g: number }> = {
  cell: { set: '(period, day, shown_name, shown_key, person)', g: 0 },
  slice: { set: '(period, day, shown_name, person)', g: 1 },
  key: { set: '(period, day, shown_key, person)', g: 2 },
  all: { set: '(period, day, person)', g: 3 },
}
const LEVEL_OF = new Map(Object.entries(SETS).map(([level, s]) => [s.g, level as Level]))

/**
 * One statement: each person's events per atom first (a person is a user hash of one period;
 * events without one count no people and are left out, as they cannot be clamped), then per
 * atom the people and the clamped sums. From events, or from agg_people_daily (source: people),
 * the one aggregate that keeps per-person counts to clamp; the daily uniq states do not.
 */
export function atomSql(q: AtomQuery): string {
  const counts = Object.entries(q.counts ?? {})
  const names = counts.map(([, _], i) => `c${i}`)
  const people = q.source === 'people'
  if (people && (counts.length > 0 || q.key?.arrayJoin || q.key?.display)) throw new Error('atoms: agg_people_daily holds no counts, arrays or stored tokens of a key: read events')
  // agg_people_daily holds only rows with a user hash, already one per person, day and dimensions.
  const filters = people
    ? [`app_id = {app:String}`, `day BETWEEN {from:Date} AND {to:Date}`]
    : [`app_id = {app:String}`, `toDate(ts) BETWEEN {from:Date} AND {to:Date}`, `user_hash != ''`]
  if (q.names) filters.push('name IN {names:Array(String)}')
  if (q.where) filters.push(`(${q.where})`)
  const joined = q.key?.arrayJoin ? `arrayJoin(${q.key.arrayJoin}) AS joined, ` : ''
  // Names and keys as published (values.ts), before any grouping: a name stored as its token
  // before publication and as itself after it is one atom, a person in both counts once, and
  // unpublished tokens of a period are one :rare atom, as without noise. Only stored tokens
  // (they hold a ~) are looked up: the lookup runs for them alone (short-circuit if).
  const raw = q.key ? `toString(${q.key.sql})` : "''"
  const key = q.key?.display ? `if(position(${raw}, '~') = 0, ${raw}, ${q.key.display(raw)})` : raw
  // From agg_people_daily, names asked for as themselves (no stored token among them): every
  // row's name is one of them and shown as stored, so rows group by its place in the list, a
  // number, which the engine groups several times cheaper than text; the text is put back after.
  const byIndex = people && q.names !== undefined && q.names.every((n) => !n.startsWith('~'))
  const name = byIndex ? 'indexOf({names:Array(String)}, name)' : `if(startsWith(name, '~'), ${mappedValue('toString(name)')}, toString(name))`
  // A person is a 64-bit digest of the user hash: cheaper to group than the text.
  const rows = people
    ? `SELECT period, day, ${name} AS shown_name, ${key} AS shown_key, person, org_hash, events
    FROM agg_people_daily WHERE ${filters.join(' AND ')}`
    : `SELECT salt_period AS period, toDate(ts) AS day, ${joined}${name} AS shown_name, ${key} AS shown_key, cityHash64(user_hash) AS person, org_hash${counts.map(([, cond], i) => `, toUInt64(${cond}) AS c${i}`).join('')}
    FROM events WHERE ${filters.join(' AND ')}`
  if (!people) return groupingSetsSql(q, rows, names)
  // Person-day rows: each level on its own, with plain GROUP BYs (not GROUPING SETS) whose keys
  // are the level's alone, which the engine groups several times cheaper; over events, whose
  // rows cost more to read than to group, one read with GROUPING SETS costs less.
  const perLevel = (l: Level) => {
    const keys = ['period', 'day', ...(l === 'cell' || l === 'slice' ? ['shown_name'] : []), ...(l === 'cell' || l === 'key' ? ['shown_key'] : [])]
    const has = (k: string) => keys.includes(k)
    const shownName = has('shown_name') ? (byIndex ? '{names:Array(String)}[shown_name]' : 'shown_name') : "''"
    const orgs = q.orgs !== false
    const perPerson = `SELECT ${keys.join(', ')}, ${orgs ? 'any(org_hash) AS org, ' : ''}${people ? 'sum(events)' : 'count()'} AS n${names.map((c) => `, sum(${c}) AS ${c}`).join('')}
      FROM (${rows})
      GROUP BY ${keys.join(', ')}, person`
    return `SELECT ${SETS[l].g} AS g, period, toString(day) AS d, ${shownName} AS name, ${has('shown_key') ? 'shown_key' : "''"} AS key,
      count() AS people, ${orgs ? "uniqExactIf(org, org != '')" : 'toUInt64(0)'} AS orgs, sum(least(n, {clamp:UInt64})) AS events${names.map((c) => `, sum(least(${c}, {clamp:UInt64})) AS ${c}`).join('')}
    FROM (${perPerson})
    GROUP BY ${keys.join(', ')}`
  }
  return q.levels.map(perLevel).join('\n    UNION ALL\n    ')
}

/** The levels of atomSql over events: one read of the rows, grouped by every level's set at once. */
function groupingSetsSql(q: AtomQuery, rows: string, names: string[]): string {
  // A column in no grouping set may not be selected: it counts as rolled up (see SETS).
  const hasName = q.levels.some((l) => l === 'cell' || l === 'slice')
  const hasKey = q.levels.some((l) => l === 'cell' || l === 'key')
  const g = `${hasName ? 'grouping(shown_name)' : '1'} * 2 + ${hasKey ? 'grouping(shown_key)' : '1'}`
  const perPerson = `SELECT period, day, ${hasName ? 'shown_name' : "''"} AS name, ${hasKey ? 'shown_key' : "''"} AS key, ${g} AS g, any(org_hash) AS org, count() AS n${names.map((c) => `, sum(${c}) AS ${c}`).join('')}
    FROM (${rows})
    GROUP BY GROUPING SETS (${q.levels.map((l) => SETS[l].set).join(', ')})`
  return `SELECT g, period, toString(day) AS d, name, key,
      count() AS people, uniqExactIf(org, org != '') AS orgs, sum(least(n, {clamp:UInt64})) AS events${names.map((c) => `, sum(least(${c}, {clamp:UInt64})) AS ${c}`).join('')}
    FROM (${perPerson})
    GROUP BY g, period, day, name, key`
}

/** An atom with the event name and sub-cell it shows ('' where its level rolls them up), as published (values.ts). */
export interface LoadedAtom extends Atom {
  name: string
  key: string
}

/** Runs atomSql and names each atom's cell; the atoms of each level apart. */
export async function loadAtoms(client: ClickHouseClient, q: AtomQuery): Promise<Map<Level, LoadedAtom[]>> {
  const rows = await select(client, atomSql(q), { ...q.params, app: q.app, from: q.from, to: q.to, names: q.names ?? [], clamp: EVENTS_PER_PERSON })
  const out = new Map<Level, LoadedAtom[]>(q.levels.map((l) => [l, []]))
  const countNames = Object.keys(q.counts ?? {})
  // Rows filtered or multiplied (where, arrayJoin) give other exact figures: their atoms are
  // named apart, so no draw is ever shared by two values (one draw on two values leaks their difference).
  const variant = q.where || q.key?.arrayJoin || q.variant ? `${US}${q.where ?? ''}${US}${q.key?.arrayJoin ?? ''}${q.variant ? `${US}${q.variant}` : ''}` : ''
  for (const r of rows) {
    const level = LEVEL_OF.get(num(r.g))
    if (!level) continue
    const counts = Object.fromEntries(countNames.map((m, i) => [m, num(r[`c${i}`])]))
    const cell = cellOf(level, str(r.name), q.key?.space, str(r.key), q.names ? [...q.names].sort().join(',') : '') + variant
    const atom = { period: num(r.period), day: str(r.d), cell, people: num(r.people), orgs: num(r.orgs), events: num(r.events), ...(countNames.length ? { counts } : {}) }
    out.get(level)?.push({ ...atom, name: str(r.name), key: str(r.key) })
  }
  return out
}
