// The parameters of GET /v1/stats/explore and /v1/stats/funnel: their shape checked by zod like
// every report's (params.ts), then checked against the app's plan, so that an event or prop the
// plan does not declare is a 400 that names it, never an empty answer.
import { z } from 'zod'
import type { AppConfig } from '../apps/apps.ts'
import { rangeSchema } from './params.ts'
import { fieldOf, planEvents, type Field } from './explore-fields.ts'

/** A request the plan cannot answer (an undeclared event or prop): a 400 with this message. */
export class BadQueryError extends Error {
  override readonly name = 'BadQueryError'
}

const eventName = z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/, 'an event name like page_view')
const fieldName = z.string().regex(/^([a-z_]{2,20}|props\.[a-z][a-z0-9_]{0,39})$/, 'a dimension like country, or a prop like props.plan')

/** `field=v1,v2;field2=v3`: equality (one value) or an in-list, at most 3 fields, ANDed. */
export const filterSchema = z
  .string()
  .max(2000)
  .transform((s, ctx) => {
    const out: { field: string; values: string[] }[] = []
    for (const part of s.split(';').filter((p) => p !== '')) {
      const eq = part.indexOf('=')
      const field = fieldName.safeParse(part.slice(0, eq))
      const values = part.slice(eq + 1).split(',')
      if (eq < 1 || !field.success || values.some((v) => v.length > 100) || values.length > 50) {
        ctx.addIssue({ code: 'custom', message: `"${part.slice(0, 60)}" is not field=value or field=v1,v2 (a dimension or props.<key>, at most 50 values)` })
        return z.NEVER
      }
      out.push({ field: field.data, values })
    }
    if (out.length > 3) ctx.addIssue({ code: 'custom', message: 'at most 3 filters' })
    if (new Set(out.map((f) => f.field)).size < out.length) ctx.addIssue({ code: 'custom', message: 'each field at most once; list several values with commas' })
    return out
  })

export const exploreSchema = rangeSchema.extend({
  // Required, checked in resolveExplore: a missing event is a 400 only once the key may read the app.
  event: eventName.optional().describe('Required: the event to count, one the app\'s plan declares (or a catalog event)'),
  by: fieldName.optional().describe('Break down by a dimension (country, browser, os, device, language, app_version, deployment) or a declared prop (props.<key>: enum, boolean, or a number in buckets)'),
  filter: filterSchema.optional().describe('Filters, ANDed: field=value or field=v1,v2, several joined by ;, e.g. country=DE,FR;props.plan=pro'),
})

export type ExploreParams = z.infer<typeof exploreSchema>

export interface FilterOn {
  field: Field
  values: string[]
}

export interface ExploreQuery {
  event: string
  by?: Field
  filters: FilterOn[]
}

/** Checks an event, its breakdown and filters against the plan; throws BadQueryError. */
/** `at` prefixes the fields' parameters: a funnel resolves one query per step (funnel.ts). */
export function resolveExplore(app: AppConfig, p: { event?: string | undefined; by?: string | undefined; filter?: { field: string; values: string[] }[] | undefined }, at = ''): ExploreQuery {
  const name = p.event
  if (name === undefined) throw new BadQueryError('event: name the event to explore, e.g. event=page_view')
  const event = planEvents(app)[name]
  if (!event) throw new BadQueryError(`event: "${name}" is not declared in the plan of app "${app.id}"; declare it (README "Tracking plan") to explore it`)
  const field = (fieldName: string, at: string, what: string) => {
    const f = fieldOf(name, event, fieldName, at)
    if (typeof f === 'string') throw new BadQueryError(`${what}: ${f}`)
    return f
  }
  const by = p.by === undefined ? undefined : field(p.by, `${at}b`, 'by')
  const filters = (p.filter ?? []).map((f, i) => {
    const on = field(f.field, `${at}f${i}`, at === '' ? 'filter' : `${at.replace(/_$/, '')} filter`)
    const bad = on.values ? f.values.filter((v) => !on.values!.includes(v)) : []
    if (bad.length > 0) throw new BadQueryError(`filter: ${f.field} has no value ${bad.map((v) => `"${v}"`).join(', ')}; the plan lists ${on.values!.join(', ')}`)
    return { field: on, values: f.values }
  })
  return { event: name, ...(by ? { by } : {}), filters }
}
