// What a transport hands the ingestion core and what it gets back (ingest-core.ts), in plain
// values: no HTTP in them, so /v1/batch, the PostHog and Segment dialects and a relay describe
// a request alike. Indexes count across the parts, in order (EVENTS.md "Response").
import type { AppConfig } from '../apps/apps.ts'
import type { BatchContext } from '../../sdk/core/catalog.ts'

/** One group of events that share a sender and a context (a dialect batch may mix them). */
export interface IngestPart {
  context?: BatchContext
  /** This part's client address, when it differs from the request's (a dialect's forwarded one). */
  clientIp?: string
  /** A server-side sender (posthog-node, analytics-node): its HTTP library's User-Agent is no bot signal. */
  serverSide?: boolean
  /** The events as sent: each is checked on its own, so one bad event is only rejected. */
  events: readonly unknown[]
}

/** A request already authenticated, with what the core needs of its transport as plain values. */
export interface IngestRequest {
  app: AppConfig
  /** The write key used, for the rate limit. */
  key: string
  /** The client address as the transport derived it (socket peer, or a trusted proxy's header). */
  clientIp: string | undefined
  userAgent: string | undefined
  /** The sender asked not to be tracked (Sec-GPC: 1). */
  gpc: boolean
  /** A browser sent it (Fetch metadata or Origin present): bot filtering applies. */
  sentByBrowser: boolean
  /** The client's clock when it sent the batch, to correct event times (clamp_time). */
  sentAt?: number
  parts: readonly IngestPart[]
}

export interface Rejection {
  index: number
  reason: string
}

/** Valid, but not recorded by policy (a bot in browser traffic, Global Privacy Control). */
export interface Dropped {
  index: number
  reason: string
  message: string
}

/** The 202 answer of /v1/batch (EVENTS.md "Response"). */
export interface IngestResult {
  accepted: number
  rejected: Rejection[]
  dropped: Dropped[]
  /** Props the tracking plan dropped, per key; only when there are any. */
  dropped_props?: Record<string, number>
}

/** Nothing was taken: the write key is over its rate; the sender retries after this many seconds. */
export interface RateLimited {
  refused: 'rate_limited'
  retryAfterSeconds: number
  message: string
}

/**
 * What the core answers: the events' outcomes, once the accepted ones are durable, or a typed
 * refusal. Storage trouble is thrown as StorageUnavailableError (nothing half-acknowledged).
 */
export type IngestOutcome = { refused?: undefined; result: IngestResult } | RateLimited
