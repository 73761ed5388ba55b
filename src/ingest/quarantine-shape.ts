// What is kept of a rejected event for 30 days (PRIVACY.md 1, 7, 13, 17): its shape only, enough
// to debug an SDK. A name or prop key is kept readable only when the app's plan declares it (the
// wire's own fields are always known); any other becomes its length, since an undeclared name
// can be a person's (`viewed_invoice_of_<first>_<last>`). Values become their type and length.
// No string value is kept, scrubbed or not, and identifiers are never kept.

export type { QuarantineRow } from '../storage/rows/quarantine-row.ts'

/** What the quarantine may show readable: the plan's events and their keys (CompiledPlan). */
export interface Declared {
  declares(name: string, key?: string): boolean
}

const MAX_KEYS = 30
/** The fields of a wire event (EVENTS.md): known names, never a person. */
const WIRE_FIELDS = new Set(['id', 'name', 'ts', 'user_id', 'session_id', 'org_id', 'props'])

/** The type and size of a value: `string(12)`, `number`, `boolean`, `array(3)`, `object(2)`. */
export function valueShape(v: unknown): string {
  if (typeof v === 'string') return `string(${v.length})`
  if (Array.isArray(v)) return `array(${v.length})`
  if (v === null) return 'null'
  if (typeof v === 'object') return `object(${Object.keys(v as object).length})`
  return typeof v
}

/** [name, event JSON] of a rejected event: declared names and keys, everything else as shapes. */
export function shapeOfRejected(raw: unknown, plan: Declared): [string, string] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return ['', JSON.stringify({ type: valueShape(raw) })]
  const event = raw as Record<string, unknown>
  const out: Record<string, unknown> = {}
  const keys = Object.keys(event)
  const name = typeof event.name === 'string' && plan.declares(event.name) ? event.name : undefined
  keys.slice(0, MAX_KEYS).forEach((k, i) => {
    const v = event[k]
    if (k === 'props' && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const props: Record<string, string> = {}
      Object.keys(v).slice(0, MAX_KEYS).forEach((pk, j) => {
        props[name !== undefined && plan.declares(name, pk) ? pk : `[key ${j}: ${pk.length} chars]`] = valueShape((v as Record<string, unknown>)[pk])
      })
      out.props = props
    } else out[WIRE_FIELDS.has(k) ? k : `[key ${i}: ${k.length} chars]`] = valueShape(v)
  })
  if (keys.length > MAX_KEYS) out['[more keys]'] = keys.length - MAX_KEYS
  const shownName = typeof event.name === 'string' ? (name ?? `[undeclared name: ${event.name.length} chars]`) : ''
  return [shownName, JSON.stringify(out)]
}

/**
 * A rejection's reason as the answer and the quarantine show it: an undeclared prop key the
 * wire check named (`props.anna_schmidt is longer than 500 characters`) becomes "[undeclared]".
 * Only rejected events pass here, so the cost is off the path of accepted ones.
 */
export function shownReason(reason: string, raw: unknown, plan: Declared): string {
  const props = (raw as { props?: unknown } | null)?.props
  if (typeof props !== 'object' || props === null || !reason.includes('props.')) return reason
  const name = (raw as { name?: unknown }).name
  return reason.replace(/props\.([a-z][a-z0-9_]{0,39})/g, (whole, key: string) =>
    typeof name === 'string' && plan.declares(name, key) ? whole : 'props.[undeclared]')
}
