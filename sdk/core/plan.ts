// The tracking plan (PRIVACY.md 12; Segment Protocols and Snowplow schemas are the anchors): the
// event names an app may send, their props and a kind per prop. The catalog is part of every
// plan; an app adds its own events. Plain data and types, shared by the server and the SDKs.
import { CATALOG, type PropKind, type PropSpec } from './catalog.ts'

export type { PropKind } from './catalog.ts'

export interface PlanProp {
  kind: PropKind
  required?: boolean
  /** `enum`: the listed values. */
  values?: string[]
  /** `number`, `integer`: bounds, required; a value outside them is dropped (`out_of_bounds`). */
  min?: number
  max?: number
  /** `number`, `integer`: a step coarser than the two significant digits every number keeps. */
  bucket?: number
  /** `text`, `path`, `token`: at most this many characters (default 500). */
  max_length?: number
  /** `token`: a pattern that narrows the token shape; the strict shapes still apply on top. */
  pattern?: string
  /**
   * `text`: also keep the scrubbed text itself, for at most 30 days, outside the anonymous data
   * set (PRIVACY.md 17); without it a text is kept only as the words k people used.
   */
  verbatim?: boolean
  /**
   * `enum`, `boolean`, `number`, `integer`: whether explore may break down and filter by it
   * (docs/reports.md "Explore"); on by default, `false` keeps it out of explore.
   */
  dimension?: boolean
  description?: string
}

export interface PlanEvent {
  description?: string
  props: Record<string, PlanProp>
}

/**
 * `strict` (the default): only declared events and props are stored. `open` (development): other
 * names and props are stored too, if they pass the strict shape rules (sdk/core/shapes.ts).
 */
export type PlanMode = 'strict' | 'open'

export interface TrackingPlan {
  mode: PlanMode
  events: Record<string, PlanEvent>
}

function kindOf(spec: PropSpec): PropKind {
  if (spec.kind) return spec.kind
  if (spec.type === 'string') return spec.values ? 'enum' : 'token'
  return spec.type
}

/** The catalog's events as plan events: every plan starts with these. */
export function catalogEvents(): Record<string, PlanEvent> {
  const events: Record<string, PlanEvent> = {}
  for (const [name, props] of Object.entries(CATALOG) as [string, Record<string, PropSpec>][]) {
    const out: Record<string, PlanProp> = {}
    for (const [key, spec] of Object.entries(props)) {
      const p: PlanProp = { kind: kindOf(spec) }
      if (spec.required) p.required = true
      if (spec.values) p.values = [...spec.values]
      if (spec.min !== undefined) p.min = spec.min
      if (spec.max !== undefined) p.max = spec.max
      if (spec.bucket !== undefined) p.bucket = spec.bucket
      if (spec.maxLength !== undefined) p.max_length = spec.maxLength
      if (spec.pattern !== undefined) p.pattern = spec.pattern
      out[key] = p
    }
    events[name] = { props: out }
  }
  return events
}

/** Types of one plan's events, as `veil plan-types` writes them (`interface VeilPlanEvents`). */
export type PlanEvents = Record<string, Record<string, string | number | boolean | undefined>>
