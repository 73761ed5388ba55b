// What is kept of a rejected event for 30 days (PRIVACY.md 1, 7): its shape and scrubbed,
// truncated values, enough to debug an SDK. Identifiers are never kept, not even hashed.
import { scrubHead } from '../privacy/scrub.ts'

export type QuarantineRow = [app_id: string, received_at: number, batch_index: number, reason: string, name: string, event: string]

const ID_FIELDS = new Set(['user_id', 'session_id', 'org_id'])
const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n) + '…' : s)

/** Scrubbed and clipped to `n`; a rejected value can be as long as the body, so only its head is read. */
export function scrubClip(s: string, n: number): string {
  return clip(scrubHead(s, 400), n)
}

function sanitizeValue(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return scrubClip(v, 200)
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return v
  if (Array.isArray(v)) return `[array of ${v.length}]`
  if (typeof v === 'object' && depth < 1) {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v as object).slice(0, 30)) {
      out[scrubClip(k, 40)] = sanitizeValue((v as Record<string, unknown>)[k], depth + 1)
    }
    return out
  }
  return `[${typeof v}]`
}

/** [name, event JSON] of a rejected event: scrubbed, bounded, without identifiers. */
export function sanitizeRejected(raw: unknown): [string, string] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return ['', JSON.stringify({ type: Array.isArray(raw) ? 'array' : typeof raw })]
  }
  const event = raw as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(event).slice(0, 20)) {
    const key = scrubClip(k, 40)
    out[key] = ID_FIELDS.has(k) ? '[redacted]' : sanitizeValue(event[k], k === 'props' ? 0 : 1)
  }
  const name = typeof event.name === 'string' ? scrubClip(event.name, 64) : ''
  return [name, JSON.stringify(out)]
}
