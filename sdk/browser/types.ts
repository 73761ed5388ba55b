// Public types of the browser SDK. The event types come from sdk/core/catalog.ts, the one source
// of truth the server's schemas are built from too.
import type { CatalogName, CatalogProps, Props, PropKind } from '../core/catalog.ts'
import type { CatalogArgs, PlanTrack, Track } from '../core/track-types.ts'
import type { DropCounts, FlushResult, Stats, VeilError, VeilErrorType } from '../core/report.ts'

export type { CatalogArgs, CatalogName, CatalogProps, PlanTrack, Props, PropKind, Track }
export type { DropCounts, FlushResult, Stats, VeilError, VeilErrorType }

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
  /**
   * Ids of the user and the customer organisation. Kept in the page's memory only and sent to
   * the server, which hashes them under its rotating salt; never written to localStorage
   * (PRIVACY.md 16).
   */
  userId?: string
  orgId?: string
  /** Send when this many events are queued (default 10). */
  batchSize?: number
  /** ... or this long after the first unsent event (default 5000). */
  flushIntervalMs?: number
  /** Events kept unsent in memory and localStorage; the oldest are dropped first and counted (default 1000). */
  maxQueue?: number
  /**
   * The router's template of a path (`/orders/4711` -> `/orders/:id`), sent as `route` with each
   * page_view; the server prefers it to its own normalisation of `path`.
   */
  route?: (path: string) => string | undefined
  /**
   * Props the app's plan declares `text` (besides feedback's `text` and a crash's `message`):
   * kept in memory only, never in localStorage, so they are lost if the tab closes unsent.
   */
  textProps?: string[]
  /** Hears of every event given up (a wrong key, a rejection, a policy drop, ...), once each. */
  onError?: (error: VeilError) => void
  /** Write every such report to the console as well (default false). */
  debug?: boolean
}

export interface Feedback {
  rating?: number
  text?: string
  topic?: string
}
