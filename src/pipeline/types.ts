// The types that carry the privacy rules (STYLE.md 3): only the raw types hold an IP, a
// User-Agent or raw identifiers; the row type that reaches storage cannot hold them.
import type { AppConfig } from '../apps/apps.ts'
import type { Props } from '../../sdk/core/catalog.ts'

/** What the edge knows about the sender. Lives only in memory, inside one request. */
export interface RawClient {
  ip: string | undefined
  userAgent: string | undefined
  /** The request carried Sec-Fetch-* or Origin: a browser sent it (bot filtering applies). */
  browserHeaders?: boolean
}

/** Coarse facts derived from the client; all that is kept of it (EVENTS.md "Derived"). */
export interface ClientFacts {
  country: string
  city: string
  browser: string
  browser_version: string
  os: string
  os_version: string
  device_type: string
}

/** A request on its way through the request steps: raw client until the drop_* steps. */
export interface RequestState {
  app: AppConfig
  gpc: boolean
  client: Partial<RawClient>
  /** The truncated address, between truncate_ip and drop_ip. */
  ipPrefix?: string
  /**
   * The browser's device in this salt period (put_device): a keyed digest of the truncated
   * address and the User-Agent, never either of them. Becomes a visitor's `user_hash`.
   */
  device?: string
  facts: ClientFacts
}

/** One validated event as it came off the wire, raw ids still inside: the catalog's one type of it. */
export type { ParsedEvent } from '../../sdk/core/catalog.ts'

/**
 * How the event named its sender (sql/0009_events_user_kind.sql; docs/reports.md "The unit:
 * people"): the app's own user id (`user`), a browser session without a login (`visitor`, counted
 * as its device, or as the user who logged in on that device within the period), an on-prem
 * installation; '' when the event had no id.
 */
export type UserKind = 'user' | 'visitor' | 'installation' | ''

/** After hashing: no raw identifier left. */
export interface HashedEvent {
  id: string
  name: string
  ts: number
  user_hash: string
  user_kind: UserKind
  session_hash: string
  org_hash: string
  salt_period: number
  props: Props
  /** Keys the tracking plan declares `text` and `path` (set by apply_plan). */
  text?: readonly string[]
  paths?: readonly string[]
}

/**
 * The event with other props (and, from apply_plan on, the plan's text and path keys), built as
 * one literal: V8 allocates a literal of one shape far faster than it spreads an object, and the
 * steps after stay monomorphic (an object spread cost more than the whole plan check).
 */
export function withProps(e: HashedEvent, props: Props, text = e.text, paths = e.paths): HashedEvent {
  return {
    id: e.id, name: e.name, ts: e.ts, user_hash: e.user_hash, user_kind: e.user_kind, session_hash: e.session_hash, org_hash: e.org_hash,
    salt_period: e.salt_period, props, text, paths,
  }
}

/** Batch-wide facts from the body's context, already bounded by the schema. */
export interface BatchFacts {
  lang: string
  screen_w: number
  screen_h: number
  app_version: string
  deployment: string
  os?: { name: string; version?: string }
}

/** A row of the events table, in the column order of sql/0001_events.sql. */
export type EventRow = [
  app_id: string,
  event_id: string,
  name: string,
  ts: number,
  received_at: number,
  user_hash: string,
  session_hash: string,
  org_hash: string,
  salt_period: number,
  props: Record<string, string>,
  metrics: Record<string, number>,
  country: string,
  city: string,
  browser: string,
  browser_version: string,
  os: string,
  os_version: string,
  device_type: string,
  lang: string,
  screen_w: number,
  screen_h: number,
  app_version: string,
  deployment: string,
  user_kind: UserKind,
]

export const EVENT_COLUMNS = [
  'app_id', 'event_id', 'name', 'ts', 'received_at', 'user_hash', 'session_hash', 'org_hash',
  'salt_period', 'props', 'metrics', 'country', 'city', 'browser', 'browser_version', 'os',
  'os_version', 'device_type', 'lang', 'screen_w', 'screen_h', 'app_version', 'deployment',
  'user_kind',
] as const

/** Why a request's events are not stored although they were valid (counted, STYLE.md 2). */
export type DropReason = 'bot' | 'gpc'

/** Why one event was rejected (listed in the 202, quarantined). */
export type RejectReason = 'invalid' | 'not_in_plan' | 'invalid_prop' | 'too_old' | 'too_far_in_future'

export interface Drop<R extends string = DropReason> {
  drop: R
  message: string
}

export function isDrop<T, R extends string>(x: T | Drop<R>): x is Drop<R> {
  return typeof x === 'object' && x !== null && 'drop' in x
}
