// GET /v1/stats/rejections (issue 27, docs/reports.md "Rejections"): the event names a strict
// plan rejected and the prop keys it dropped (sql/0080_unplanned_names.sql, 30 days), each with
// its count, reason and a plan snippet that declares it. A name is shown by the values rule: once
// k people of a salt period sent it (published, values.ts); the others are counted by shape.
import { num, select, str } from './db.ts'
import { metaOf, NOTES, RARE_NOTE } from './meta.ts'
import { mappedValue, RARE } from './values.ts'
import type { ReportContext } from './reports/context.ts'

export const REJECTIONS_NOTE =
  'Names a strict plan refused in the last 30 days at most (the table keeps 30 days): an event name it rejected (not_in_plan) or a prop key it dropped (undeclared_prop). A name is shown once k people of one salt period sent it, and its counts are those of the periods where it had k people; every other is counted by kind and reason only, its name never shown.'

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

export async function rejectionsReport(ctx: ReportContext, limit: number) {
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
    meta: { ...metaOf(ctx.app, ctx.range), notes: { ...NOTES, rejections: REJECTIONS_NOTE, rare: RARE_NOTE } },
    plan_mode: ctx.app.plan?.mode ?? 'strict',
    names: [...named.values()]
      .sort((a, b) => b.events - a.events || a.event.localeCompare(b.event))
      .slice(0, limit)
      .map((n) => ({ ...n, snippet: planSnippet(n) })),
    // Names fewer than k people of a period sent: how many events and distinct names, never which.
    unnamed: [...unnamed.values()]
      .map((u) => ({ kind: u.kind, reason: u.reason, events: u.events, names: u.names.size }))
      .sort((a, b) => b.events - a.events),
  }
}
