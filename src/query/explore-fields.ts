// What explore may break down and filter by (docs/reports.md "Explore"): the closed-list
// dimensions of every event and the props the app's plan declares as dimensions, each turned
// into one SQL expression over the events table whose only inputs are typed parameters.
import type { AppConfig } from '../apps/apps.ts'
import type { PlanEvent, PlanProp } from '../../sdk/core/plan.ts'
import { resolvePlan } from '../plan/plan-schema.ts'

/** The closed-list dimensions: their names in the API and their columns in `events` (sql/0001). */
export const CLOSED_DIMENSIONS = {
  country: 'country',
  browser: 'browser',
  os: 'os',
  device: 'device_type',
  language: 'lang',
  app_version: 'app_version',
  deployment: 'deployment',
} as const

export type ClosedDimension = keyof typeof CLOSED_DIMENSIONS

/** Prop kinds that can be dimensions: closed lists (enum, boolean) and bounded numbers, bucketed. */
const DIMENSION_KINDS = new Set(['enum', 'boolean', 'number', 'integer'])

export interface Field {
  /** As written in the request: `country`, `props.plan`. */
  name: string
  kind: 'closed' | 'enum' | 'boolean' | 'number'
  /** The SQL expression of the field's value as a String ('' when unknown or absent). */
  sql: string
  /** The typed parameters the expression reads. */
  params: Record<string, unknown>
  /** enum and boolean: the values the plan allows (a filter value outside them is a 400). */
  values?: readonly string[]
  /** number: the bucket width; a value is labelled by its bucket's lower bound. */
  width?: number
  /** closed: its dimension in agg_breakdowns_daily (sql/0011), when it has one. */
  aggregated?: string
}

/** The closed dimensions agg_breakdowns_daily holds (sql/0030), by their column. */
const AGGREGATED = new Set(['country', 'os', 'browser', 'device_type', 'lang', 'app_version'])

/** A step of 1, 2 or 5 times a power of ten that cuts [min, max] into at most about ten buckets. */
export function bucketWidth(p: PlanProp): number {
  if (p.bucket !== undefined) return p.bucket
  const span = (p.max ?? 0) - (p.min ?? 0)
  if (span <= 0) return 1
  const raw = span / 10
  const pow = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow
  return p.kind === 'integer' ? Math.max(1, Math.round(step)) : step
}

/** The declared props of an event that explore may use. */
export function dimensionProps(event: PlanEvent): [string, PlanProp][] {
  return Object.entries(event.props).filter(([, p]) => DIMENSION_KINDS.has(p.kind) && p.dimension !== false)
}

/** The plan's events by name (catalog and the app's own), for the explore parameters. */
export function planEvents(app: AppConfig): Record<string, PlanEvent> {
  return resolvePlan(app.plan).events
}

/**
 * The field `name` of `event`, its parameters prefixed with `at` (one prefix per field of a
 * query), or why it cannot be used.
 */
export function fieldOf(eventName: string, event: PlanEvent, name: string, at: string): Field | string {
  if (name in CLOSED_DIMENSIONS) {
    const column = CLOSED_DIMENSIONS[name as ClosedDimension]
    return { name, kind: 'closed', sql: `toString(${column})`, params: {}, ...(AGGREGATED.has(column) ? { aggregated: column } : {}) }
  }
  if (!name.startsWith('props.')) return `"${name}" is neither a dimension (${Object.keys(CLOSED_DIMENSIONS).join(', ')}) nor a prop (props.<key>)`
  const key = name.slice('props.'.length)
  const prop = event.props[key]
  if (!prop) return `event "${eventName}" declares no prop "${key}" in the app's plan`
  if (!DIMENSION_KINDS.has(prop.kind)) return `prop "${key}" of "${eventName}" is ${prop.kind}: only enum, boolean, number and integer props are dimensions`
  if (prop.dimension === false) return `prop "${key}" of "${eventName}" is declared dimension: false in the app's plan`
  const keyParam = `${at}key`
  if (prop.kind === 'enum') return { name, kind: 'enum', sql: `props[{${keyParam}:String}]`, params: { [keyParam]: key }, values: prop.values ?? [] }
  if (prop.kind === 'boolean') return { name, kind: 'boolean', sql: `props[{${keyParam}:String}]`, params: { [keyParam]: key }, values: ['true', 'false'] }
  // Numbers are stored in `metrics` (src/pipeline/steps/to-row.ts), already within the plan's bounds.
  const width = bucketWidth(prop)
  const lo = `${at}lo`
  const w = `${at}w`
  return {
    name,
    kind: 'number',
    sql: `if(mapContains(metrics, {${keyParam}:String}), toString(round({${lo}:Float64} + floor((metrics[{${keyParam}:String}] - {${lo}:Float64}) / {${w}:Float64}) * {${w}:Float64}, 6)), '')`,
    params: { [keyParam]: key, [lo]: prop.min ?? 0, [w]: width },
    width,
  }
}

/** The fields an event may be explored by, as the dashboard lists them. */
export function fieldsOf(eventName: string, event: PlanEvent): Field[] {
  const names = [...Object.keys(CLOSED_DIMENSIONS), ...dimensionProps(event).map(([key]) => `props.${key}`)]
  return names.map((n, i) => fieldOf(eventName, event, n, `l${i}`)).filter((f): f is Field => typeof f !== 'string')
}
