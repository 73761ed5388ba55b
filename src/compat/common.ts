// What the PostHog and Segment dialects share: the name and key rule, deterministic event ids,
// times, paths, and the checks that keep a mapped context inside Veil's wire schema
// (docs/compat.md has the table). Pure functions; the routes do the HTTP.
import { createHmac, randomUUID } from 'node:crypto'
import ipaddr from 'ipaddr.js'
import { LIMITS } from '../../sdk/core/catalog.ts'
import { lowEntropyId } from '../../sdk/core/uuid.ts'
import { contextSchema } from '../ingest/batch-schema.ts'
import { LRUCache } from 'lru-cache'
import { propKey } from './names.ts'
import type { IngestPart } from '../ingest/ingest-request.ts'

export type Dialect = 'posthog' | 'segment'

/**
 * Why a dialect's message or prop is not passed on (counted, STYLE.md 2): `trait` identify-style
 * calls and traits (personal data by definition), `internal` an SDK's own event with no Veil
 * meaning, `key_mismatch` an event carrying another app's key, `too_large` over the dialect's
 * size limit, `metrics` an SDK's own telemetry.
 */
export type CompatDrop = 'trait' | 'internal' | 'key_mismatch' | 'too_large' | 'metrics'
/**
 * Why one prop is not passed on: `trait` a person or group trait, `dollar` a PostHog
 * `$`-property without a Veil field, `context` an SDK field read elsewhere (token, page URL),
 * `key` a key the name rule cannot make valid (or a duplicate), `value` not a string, finite
 * number or boolean.
 */
export type PropDrop = 'trait' | 'dollar' | 'context' | 'key' | 'value'

export interface Tally {
  events: Partial<Record<CompatDrop, number>>
  props: Partial<Record<PropDrop, number>>
}

export const newTally = (): Tally => ({ events: {}, props: {} })
export const countEvent = (t: Tally, why: CompatDrop, n = 1) => void (t.events[why] = (t.events[why] ?? 0) + n)
export const countProp = (t: Tally, why: PropDrop, n = 1) => void (t.props[why] = (t.props[why] ?? 0) + n)

/** What a dialect module hands to the shared ingestion path. */
export interface Translated {
  sentAt?: number
  parts: IngestPart[]
  tally: Tally
}

/**
 * Veil's event id for a dialect's own id (PostHog's `uuid`, Segment's `messageId`): HMAC-SHA256
 * of dialect, app and id under the installation's compat id key (SaltStore.compatKey: random
 * bytes in memory, or wrapped in the key store of a server, readable by ingestion only), shaped as a
 * v4 UUID. A resend is the same event and the same source id in two apps is not; without the key
 * nobody can tell which source id an event had (an unkeyed hash of a known id is reversible).
 * The rare digest that reads as a low-entropy id is hashed again with a counter, the same way
 * every time. Without a source id the event gets a random id.
 */
export function compatEventId(key: Buffer, dialect: Dialect, appId: string, sourceId: unknown): string {
  if (typeof sourceId !== 'string' || sourceId.length === 0 || sourceId.length > 200) return randomUUID()
  for (let n = 0; ; n++) {
    const h = createHmac('sha256', key).update(`veil-compat\0${dialect}\0${appId}\0${sourceId}${n ? `\0${n}` : ''}`).digest()
    h[6] = (h[6]! & 0x0f) | 0x40 // version 4: random to anyone without the key
    h[8] = (h[8]! & 0x3f) | 0x80 // RFC 4122 variant
    const hex = h.subarray(0, 16).toString('hex')
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
    if (lowEntropyId(id) === undefined) return id
  }
}

/** Epoch ms from an ISO string or an epoch number (ms, or seconds as some libraries send). */
export function toEpochMs(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return Math.round(v < 1e11 ? v * 1000 : v)
  if (typeof v === 'string' && v.length <= 64) {
    const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : Date.parse(v)
    return Number.isFinite(n) && n > 0 ? toEpochMs(n) : undefined
  }
  return undefined
}

/** The path of a URL or path, without query string and fragment (normalise_path does the ids). */
export function pathOf(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length === 0) return undefined
  if (v.startsWith('/')) return v.split(/[?#]/)[0]
  try {
    return new URL(v).pathname
  } catch {
    return undefined
  }
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

export const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined)

/** An identifier as Veil takes it: strings as they are, numbers as text (PostHog allows both). */
export function idOf(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return typeof v === 'string' && v.length > 0 && v.length <= LIMITS.maxIdLength ? v : undefined
}

/**
 * Custom props, keys by the name rule; values must be a string, a finite number or a boolean.
 * `skip` says which source keys are the dialect's own: `used` for those read into a Veil field
 * (not a loss), a PropDrop for those dropped.
 */
export function mapProps(
  source: unknown,
  tally: Tally,
  skip: (key: string) => PropDrop | 'used' | undefined,
): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  if (!isPlainObject(source)) return out
  for (const [k, v] of Object.entries(source)) {
    const why = skip(k)
    if (why) {
      if (why !== 'used') countProp(tally, why)
      continue
    }
    const key = propKey(k)
    if (key === undefined || key in out) {
      countProp(tally, 'key')
      continue
    }
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[key] = v
    else countProp(tally, 'value')
  }
  return out
}

export type WireContext = NonNullable<IngestPart['context']>

/**
 * A context from a dialect's fields, each kept only if it passes Veil's own context schema, so
 * one odd field (a locale like `en_US@posix`) loses that field, not the event.
 */
export function checkedContext(c: { lang?: unknown; w?: unknown; h?: unknown; app_version?: unknown; os?: unknown; os_version?: unknown }): WireContext {
  // The events of one client repeat one context: checked once, and the same object is reused
  // (groupParts groups by it). Languages, sizes, versions and OS names identify no one.
  const key = JSON.stringify([c.lang, c.w, c.h, c.app_version, c.os, c.os_version])
  let out = contexts.get(key)
  if (!out) {
    out = checkContext(c)
    contexts.set(key, out)
  }
  return out
}

const contexts = new LRUCache<string, WireContext>({ max: 1000 })

function checkContext(c: { lang?: unknown; w?: unknown; h?: unknown; app_version?: unknown; os?: unknown; os_version?: unknown }): WireContext {
  const candidates: Record<string, unknown> = {
    lang: typeof c.lang === 'string' ? c.lang.replace(/_/g, '-') : undefined,
    screen: typeof c.w === 'number' && typeof c.h === 'number' ? { w: Math.round(c.w), h: Math.round(c.h) } : undefined,
    app_version: typeof c.app_version === 'string' ? c.app_version : undefined,
    os: typeof c.os === 'string' ? { name: c.os, ...(typeof c.os_version === 'string' ? { version: c.os_version } : {}) } : undefined,
  }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(candidates)) {
    if (v === undefined) continue
    if (contextSchema.safeParse({ [k]: v }).success) out[k] = v
  }
  return Object.freeze(out) as WireContext
}

/** A forwarded client address, only for apps that allow it (trust_client_ip) and only if it parses. */
export function forwardedIp(v: unknown, trusted: boolean): string | undefined {
  if (!trusted || typeof v !== 'string' || !ipaddr.isValid(v.trim())) return undefined
  return v.trim()
}

/**
 * Groups events by client address and context, in order of first appearance, so each part runs
 * the request steps once with its own sender. Most batches come from one client: one part.
 */
export function groupParts(items: readonly { event: unknown; context: WireContext; ip?: string; serverSide: boolean }[]): IngestPart[] {
  const parts = new Map<string, IngestPart & { events: unknown[] }>()
  // Contexts come from checkedContext's cache, so equal contexts are mostly one object:
  // each distinct object is serialised once.
  const json = new Map<WireContext, string>()
  for (const it of items) {
    let cj = json.get(it.context)
    if (cj === undefined) json.set(it.context, (cj = JSON.stringify(it.context)))
    const k = `${it.ip ?? ''}\0${it.serverSide}\0${cj}`
    let part = parts.get(k)
    if (!part) {
      part = { context: it.context, clientIp: it.ip, serverSide: it.serverSide, events: [] }
      parts.set(k, part)
    }
    part.events.push(it.event)
  }
  return [...parts.values()]
}
