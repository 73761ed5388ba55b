// What is kept of a rejected event for 30 days (PRIVACY.md 1, 7, 13): its shape only, enough to
// debug an SDK. Names and keys are kept when their shape is safe; values become their type and
// length. No string value is kept, scrubbed or not, and identifiers are never kept.
import { isSafeKey, isSafeName } from '../../sdk/core/shapes.ts'

export type QuarantineRow = [app_id: string, received_at: number, batch_index: number, reason: string, name: string, event: string]

const MAX_KEYS = 30

/** A key as quarantine keeps it: itself when safe, else its length. */
function keyShape(k: string, i: number): string {
  return isSafeKey(k) ? k : `[key ${i}: ${k.length} chars]`
}

/** The type and size of a value: `string(12)`, `number`, `boolean`, `array(3)`, `object(2)`. */
export function valueShape(v: unknown): string {
  if (typeof v === 'string') return `string(${v.length})`
  if (Array.isArray(v)) return `array(${v.length})`
  if (v === null) return 'null'
  if (typeof v === 'object') return `object(${Object.keys(v as object).length})`
  return typeof v
}

/** [name, event JSON] of a rejected event: names and keys if safe, values as shapes. */
export function shapeOfRejected(raw: unknown): [string, string] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return ['', JSON.stringify({ type: valueShape(raw) })]
  const event = raw as Record<string, unknown>
  const out: Record<string, unknown> = {}
  const keys = Object.keys(event)
  keys.slice(0, MAX_KEYS).forEach((k, i) => {
    const v = event[k]
    if (k === 'props' && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const props: Record<string, string> = {}
      Object.keys(v).slice(0, MAX_KEYS).forEach((pk, j) => {
        props[keyShape(pk, j)] = valueShape((v as Record<string, unknown>)[pk])
      })
      out.props = props
    } else out[keyShape(k, i)] = valueShape(v)
  })
  if (keys.length > MAX_KEYS) out['[more keys]'] = keys.length - MAX_KEYS
  const name = typeof event.name === 'string' ? (isSafeName(event.name) ? event.name : `[unsafe name: ${event.name.length} chars]`) : ''
  return [name, JSON.stringify(out)]
}
