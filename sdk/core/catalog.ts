// The event catalog and wire limits of ../shared/EVENTS.md: the one source of truth that the
// server's zod schemas and the SDKs' types are both built from. Plain data, no dependencies,
// so the browser SDK can import it without growing.

// A plain constant rather than `LIMITS.maxFeedbackTextLength` inside CATALOG: bundlers keep an
// object whose initialiser reads a property, so the catalog would ship in the browser script.
const maxFeedbackTextLength = 2000

/**
 * What the SDKs need of the limits, apart, so that the browser script carries these two numbers
 * and not the whole of LIMITS (the same values; LIMITS is built from them).
 */
/** Events the SDKs put in one request (a smaller batch retries cheaper). */
const sdkMaxEventsPerRequest = 25
/** Bytes the SDKs put in one request body; keepalive bodies are limited to 64 KiB in flight. */
const sdkMaxRequestBytes = 60 * 1024
export const SDK_LIMITS = { sdkMaxEventsPerRequest, sdkMaxRequestBytes } as const

/** Limits of the wire format (EVENTS.md, "Request"). */
export const LIMITS = {
  /** Events one request may carry; the server rejects a longer batch with 400. */
  maxEventsPerBatch: 100,
  sdkMaxEventsPerRequest,
  sdkMaxRequestBytes,
  maxPropsPerEvent: 25,
  maxPropStringLength: 500,
  maxFeedbackTextLength,
  maxIdLength: 200,
  maxContextStringLength: 64,
  propKeyPattern: /^[a-z][a-z0-9_]{0,39}$/,
  customNamePattern: /^[a-z][a-z0-9_.]{0,63}$/,
} as const

export type PropType = 'string' | 'number' | 'integer' | 'boolean'

/**
 * What a stored value may be (PRIVACY.md 12): `enum` listed values, `token` a short
 * identifier-free word, `path` a page path, `text` free text (scrubbed); numbers and booleans.
 */
export type PropKind = 'enum' | 'token' | 'number' | 'integer' | 'boolean' | 'path' | 'text'

export interface PropSpec {
  readonly type: PropType
  /** The tracking-plan kind; strings without one are `token`s (sdk/core/plan.ts). */
  readonly kind?: PropKind
  /**
   * For `token`s: the catalog's own pattern, which replaces the token shape (the crash
   * fingerprint's hex digest); an app's pattern only narrows it (src/plan/compile-plan.ts).
   */
  readonly pattern?: string
  readonly required?: boolean
  readonly values?: readonly string[]
  /** Numbers: bounds (every number declares both) and an optional step (src/plan/round-number.ts). */
  readonly min?: number
  readonly max?: number
  readonly bucket?: number
  readonly maxLength?: number
}

const str = { type: 'string', kind: 'token' } as const
const reqStr = { type: 'string', kind: 'token', required: true } as const
const text = { type: 'string', kind: 'text' } as const
const path = { type: 'string', kind: 'path' } as const
// Every number declares its bounds (PRIVACY.md 17): a value outside them is dropped, and those
// inside are stored with two significant digits. Counts up to a billion rows or records; a report
// query or an import within a day; an application's uptime within a year (366 days).
const count = { type: 'integer', min: 0, max: 1e9 } as const
const DAY_MS = 86_400_000
const reqDuration = { type: 'number', required: true, min: 0, max: DAY_MS } as const

/** The catalog (EVENTS.md, "Catalog"): name -> props it knows. Other props follow the app's plan. */
export const CATALOG = {
  app_start: { version: str },
  app_stop: { uptime_ms: { type: 'number', required: true, min: 0, max: 31_622_400_000 } },
  app_crash: {
    error_type: reqStr,
    message: text,
    fingerprint: { type: 'string', kind: 'token', pattern: '^[0-9a-f]{8,64}$' },
    fatal: { type: 'boolean', required: true },
  },
  login: { method: str },
  logout: { reason: str },
  // `route` is the router's template (`/orders/:id`); when valid it is stored as the path.
  page_view: { path: { type: 'string', kind: 'path', required: true, maxLength: 500 }, referrer_path: path, route: path },
  feedback: {
    rating: { type: 'integer', min: 1, max: 5 },
    text: { type: 'string', kind: 'text', maxLength: maxFeedbackTextLength },
    topic: str,
  },
  cm_data_import: {
    records: count,
    duration_ms: { type: 'number', min: 0, max: DAY_MS },
    status: { type: 'string', kind: 'enum', required: true, values: ['ok', 'failed'] },
  },
  report_query: { report: reqStr, duration_ms: reqDuration, rows: count, status: reqStr },
  rule_add: { rule_type: str },
  rule_change: { rule_type: str },
  rule_remove: { rule_type: str },
  label_add: { label_type: str },
  label_change: { label_type: str },
  label_remove: { label_type: str },
} as const satisfies Record<string, Record<string, PropSpec>>

export type CatalogName = keyof typeof CATALOG
// Marked pure so that bundles which only need LIMITS (the browser SDK) leave the catalog out.
export const CATALOG_NAMES = /* @__PURE__ */ Object.keys(CATALOG) as CatalogName[]

export function isCatalogName(name: string): name is CatalogName {
  return Object.prototype.hasOwnProperty.call(CATALOG, name)
}

type PropValue<S extends PropSpec> = S['values'] extends readonly string[]
  ? S['values'][number]
  : S['type'] extends 'string'
    ? string
    : S['type'] extends 'boolean'
      ? boolean
      : number

type RequiredKeys<P> = { [K in keyof P]: P[K] extends { required: true } ? K : never }[keyof P]
type OptionalKeys<P> = Exclude<keyof P, RequiredKeys<P>>

/** The props type of a catalog event, e.g. `CatalogProps<'report_query'>`. */
export type CatalogProps<N extends CatalogName> = {
  -readonly [K in RequiredKeys<(typeof CATALOG)[N]>]: PropValue<(typeof CATALOG)[N][K] & PropSpec>
} & {
  -readonly [K in OptionalKeys<(typeof CATALOG)[N]>]?: PropValue<(typeof CATALOG)[N][K] & PropSpec>
} & Props

export type Props = Record<string, string | number | boolean>

/** Batch-wide facts (EVENTS.md "context"); every field optional. */
export interface BatchContext {
  app_version?: string
  deployment?: 'cloud' | 'onprem' | string
  screen?: { w: number; h: number }
  lang?: string
  os?: { name: string; version?: string }
}

/** One event on the wire. */
export interface WireEvent {
  id: string
  name: string
  ts: number
  user_id?: string
  session_id?: string
  org_id?: string
  props?: Props
}

/**
 * One event as the server holds it once the wire schema accepted it, raw ids still inside: the
 * wire event with its props always present ({} when none were sent). The one event type from
 * the parse (src/ingest/batch-schema.ts checks that zod's output is exactly this) to hash_ids.
 */
export interface ParsedEvent extends WireEvent {
  props: Props
}

/** A request body of `POST /v1/batch`. */
export interface WireBatch {
  key?: string
  sent_at?: number
  context?: BatchContext
  events: WireEvent[]
}

/** Statuses a client retries (EVENTS.md "Response"); other 4xx are final. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}
