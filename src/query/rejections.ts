// GET /v1/stats/rejections (issue 27, docs/reports.md "Rejections"): the event names a strict
// plan rejected and the prop keys it dropped (sql/0080_unplanned_names.sql, 30 days), each with
// its count, reason and a plan snippet that declares it. A name is shown by the values rule: once
// k people of a salt period sent it (published, values.ts); the others are counted by shape.
import { num, select, str } from './db.ts'
import { metaOf, NOTES, RARE_NOTE } from './meta.ts'
import { mappedValue, RARE } from './values.ts'
import { releaseOf, type ReportContext } from './reports/context.ts'
import { EVENTS_PER_PERSON, releaseAtoms, type Atom } from './release.ts'

export const REJECTIONS_NOTE =
  'Names a strict plan refused in the last 30 days at most (the table keeps 30 days): an event name it rejected (not_in_plan) or a prop key it dropped (undeclared_prop). A name is shown once k people of one salt period sent it, and its counts are those of the periods where it had k people; every other is counted by kind and reason only, its name never shown. With noise on (meta.noise), the counts are released like every count, per salt period, day and name (see noise): a name is listed where one of its atoms passes the gate, with the sum of its shown atoms, and names (how many lie behind an unnamed count) is null.'

/** Rows per (period, kind, reason, stored name and key), with what they map to. */
const SQL = `
  SELECT period, kind, reason, name AS raw_name, key AS raw_key, ${mappedValue('name')} AS shown_name,
         if(kind = 'prop', ${mappedValue('key')}, '') AS shown_key, count() AS events, uniqExact(user_hash) AS people
  FROM unplanned_names
  WHERE app_id = {app:String} AND toDate(received_at) BETWEEN {from:Date} AND {to:Date}
  GROUP BY period, kind, reason, name, key
  LIMIT 100000`

interface Named {
  kind: 'event' | 'prop'
  event: string
  key: string | null
  reason: string
  events: number
  people: number
}

/** A plan (README "Tracking plan") that would declare the name: paste it into the app's plan. */
export function planSnippet(n: { kind: 'event' | 'prop'; event: string; key: string | null }): string {
  const props = n.kind === 'prop' && n.key !== null ? { [n.key]: { kind: 'token' } } : {}
  return JSON.stringify({ events: { [n.event]: { description: '', props } } }, null, 2)
}

/** A kind and reason of names not shown: their events, how many names (null under noise), or suppressed. */
interface Unnamed {
  kind: string
  reason: string
  events: number | null
  names: number | null
  suppressed: boolean
}

const byEvents = (a: Named, b: Named) => b.events - a.events || a.event.localeCompare(b.event)

export async function rejectionsReport(ctx: ReportContext, limit: number) {
  const { names, unnamed } = ctx.noiseKey ? await released(ctx) : await exact(ctx)
  return {
    meta: { ...metaOf(ctx.app, ctx.range, !!ctx.noiseKey), notes: { ...NOTES, rejections: REJECTIONS_NOTE, rare: RARE_NOTE } },
    plan_mode: ctx.app.plan?.mode ?? 'strict',
    names: names.sort(byEvents).slice(0, limit).map((n) => ({ ...n, snippet: planSnippet(n) })),
    unnamed: unnamed.sort((a, b) => (b.events ?? -1) - (a.events ?? -1)),
  }
}

/** Exact figures (REPORT_NOISE=off): a name is shown in the periods where k people sent it. */
async function exact(ctx: ReportContext): Promise<{ names: Named[]; unnamed: Unnamed[] }> {
  const k = ctx.app.k_anonymity
  const rows = await select(ctx.client, SQL, { app: ctx.app.id, from: ctx.range.from, to: ctx.range.to })
  const named = new Map<string, Named>()
  const unnamed = new Map<string, { kind: string; reason: string; events: number; names: Set<string> }>()
  for (const r of rows) {
    const kind = str(r.kind) === 'prop' ? 'prop' : 'event'
    const reason = str(r.reason)
    const [event, key] = [str(r.shown_name), kind === 'prop' ? str(r.shown_key) : null]
    // A period where fewer than k people sent the name counts as shape only, like a name never published.
    if (event !== RARE && key !== RARE && num(r.people) >= k) {
      const id = `${kind}\u001f${event}\u001f${key ?? ''}\u001f${reason}`
      const n = named.get(id) ?? { kind, event, key, reason, events: 0, people: 0 }
      n.events += num(r.events)
      n.people += num(r.people)
      named.set(id, n)
      continue
    }
    const id = `${kind}\u001f${reason}`
    const u = unnamed.get(id) ?? { kind, reason, events: 0, names: new Set<string>() }
    u.events += num(r.events)
    u.names.add(`${str(r.raw_name)}\u001f${str(r.raw_key)}`)
    unnamed.set(id, u)
  }
  return {
    names: [...named.values()],
    // Names fewer than k people of a period sent: how many events and distinct names, never which.
    unnamed: [...unnamed.values()].map((u) => ({ kind: u.kind, reason: u.reason, events: u.events, names: u.names.size, suppressed: false })),
  }
}

/**
 * The atoms of the noisy release (release.ts): one per salt period, day and cell, a cell being a
 * published name (with its key) or, for each kind and reason, all names not published; each
 * person's events clamped to EVENTS_PER_PERSON per atom, rows without a person left out (they
 * cannot be clamped), as atoms.ts does for events.
 */
const ATOM_SQL = `
  SELECT period, toString(day) AS d, kind, reason, rare, shown_name, shown_key, count() AS people, sum(least(n, {clamp:UInt64})) AS events
  FROM (
    SELECT period, day, kind, reason, (sn = '${RARE}' OR sk = '${RARE}') AS rare, if(rare, '', sn) AS shown_name, if(rare, '', sk) AS shown_key, user_hash, count() AS n
    FROM (
      SELECT period, toDate(received_at) AS day, kind, reason, ${mappedValue('name')} AS sn, if(kind = 'prop', ${mappedValue('key')}, '') AS sk, user_hash
      FROM unplanned_names
      WHERE app_id = {app:String} AND toDate(received_at) BETWEEN {from:Date} AND {to:Date} AND user_hash != ''
    )
    GROUP BY period, day, kind, reason, rare, shown_name, shown_key, user_hash
  )
  GROUP BY period, day, kind, reason, rare, shown_name, shown_key
  LIMIT 100000`

/**
 * With a report noise key, counts are released like every report's (PRIVACY.md 18): each atom is
 * gated (k people, and k + GATE_MARGIN after its noise) and noised once, the same on every ask; a
 * name is listed when one of its atoms is shown, with the sum of its shown atoms. How many names
 * lie behind the unnamed counts is withheld (null): one person can send any number of them.
 */
async function released(ctx: ReportContext): Promise<{ names: Named[]; unnamed: Unnamed[] }> {
  const rows = await select(ctx.client, ATOM_SQL, { app: ctx.app.id, from: ctx.range.from, to: ctx.range.to, clamp: EVENTS_PER_PERSON })
  const atoms = rows.map((r) => {
    const kind: 'event' | 'prop' = str(r.kind) === 'prop' ? 'prop' : 'event'
    const rare = num(r.rare) !== 0
    const [event, key] = [str(r.shown_name), kind === 'prop' ? str(r.shown_key) : null]
    const cell = ['rejections', kind, str(r.reason), rare ? RARE : event, rare ? '' : key ?? ''].join('\u001f')
    const atom: Atom = { period: num(r.period), day: str(r.d), cell, people: num(r.people), events: num(r.events) }
    return { atom, kind, reason: str(r.reason), rare, event, key }
  })
  // unplanned_names holds no organisation: names follow the values rule (people of a period), as without noise.
  const out = releaseAtoms(atoms.map((a) => a.atom), { ...releaseOf(ctx), minOrgs: 0 })
  const named = new Map<string, Named>()
  const unnamed = new Map<string, Unnamed & { shown: number }>()
  atoms.forEach((a, i) => {
    const r = out[i]!
    if (a.rare) {
      const id = `${a.kind}\u001f${a.reason}`
      const u = unnamed.get(id) ?? { kind: a.kind, reason: a.reason, events: 0, names: null, suppressed: false, shown: 0 }
      if (r.shown) u.events = (u.events ?? 0) + r.events, u.shown++
      unnamed.set(id, u)
      return
    }
    if (!r.shown) return
    const n = named.get(r.atom.cell) ?? { kind: a.kind, event: a.event, key: a.key, reason: a.reason, events: 0, people: 0 }
    n.events += r.events
    n.people += r.people
    named.set(r.atom.cell, n)
  })
  return {
    names: [...named.values()],
    unnamed: [...unnamed.values()].map(({ shown, ...u }) => (shown === 0 ? { ...u, events: null, suppressed: true } : u)),
  }
}
