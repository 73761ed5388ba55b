// Public types of the browser SDK. The event types come from sdk/core/catalog.ts, the one source
// of truth the server's schemas are built from too.
import type { CatalogName, CatalogProps, Props } from '../core/catalog.ts'
import type { CatalogArgs, Track } from '../core/track-types.ts'

export type { CatalogArgs, CatalogName, CatalogProps, Props, Track }

/** PRIVACY.md 9: nothing is sent while consent is `pending` or `denied`. */
export type Consent = 'granted' | 'pending' | 'denied'

export interface VeilOptions {
  /** Base URL of the Veil server; events go to `${endpoint}/v1/batch`. */
  endpoint: string
  /** The app's public write key (sent in the body, EVENTS.md "Request"). */
  key: string
  /** Consent at start. Default `pending`: events wait in memory, nothing is stored or sent. */
  consent?: Consent
  /** Honour Do Not Track and Global Privacy Control (default true). Turn off only with a documented legal basis. */
  honorPrivacySignals?: boolean
  /** Send a `page_view` at init and on every history change of the path (default true). */
  autoPageViews?: boolean
  appVersion?: string
  deployment?: string
  /** Raw ids; the server hashes them on receipt (PRIVACY.md 4). */
  userId?: string
  orgId?: string
  /** Send when this many events are queued (default 10). */
  batchSize?: number
  /** ... or this long after the first unsent event (default 5000). */
  flushIntervalMs?: number
  /** Events kept unsent in memory and localStorage; the oldest are dropped first and counted (default 1000). */
  maxQueue?: number
}

export interface Feedback {
  rating?: number
  text?: string
  topic?: string
}

/** Why events were given up; each counted in `stats()`. */
export interface DropCounts {
  /** The queue was full; the oldest events went. */
  queue_overflow: number
  /** The server answered a 4xx other than 408/429: the request can never succeed. */
  client_error: number
  /** The server accepted the batch but rejected these events as invalid. */
  rejected: number
  /** An event alone exceeds the request size limit. */
  too_large: number
}

export interface Stats {
  queued: number
  dropped: DropCounts
}
