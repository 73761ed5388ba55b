// The browser SDK (issue 3): batches events to `${endpoint}/v1/batch`, keeps unsent ones in
// localStorage and sends them on unload or on the next page load. What it stores holds no id
// and no free text, and paths are normalised before they are queued (PRIVACY.md 16, stored.ts);
// every loss reaches `onError` once (issue 11). The IIFE build
// of this file must stay within 3,072 bytes gzipped, so it is written for the minifier: few
// names, no classes.
import { SDK_LIMITS as LIMITS, type Props, type WireEvent } from '../core/catalog.ts'
import { parseRetryAfter, retryDelay } from '../core/backoff.ts'
import { byteLength, fitBatch } from '../core/batch.ts'
import { classifyStatus } from '../core/outcome.ts'
import { createUuid } from '../core/uuid.ts'
import { newDropCounts, reportsOf, type Answer, type FlushResult, type VeilError } from '../core/report.ts'
import { pagePath, stored } from './stored.ts'
import type { Consent, Feedback, Stats, Track, VeilOptions } from './types.ts'

export type * from './types.ts'

declare global {
  interface Navigator {
    globalPrivacyControl?: boolean
  }
}

/**
 * Each page load stores its queue under a key of its own (`veil_q<uuid>`), so that tabs never
 * overwrite each other's events; the next load claims every such key.
 */
const STORE = 'veil_q'
const storeKey = STORE + createUuid()
/** Keepalive bodies are limited to 64 KiB in flight per document (Fetch spec, "keepalive"). */
const KEEPALIVE_BYTES = 65536
/** The catalog's free-text props (sdk/core/catalog.ts): kept in memory, never in localStorage. */
const TEXT = ['text', 'message']

let o: Required<Pick<VeilOptions, 'batchSize' | 'flushIntervalMs' | 'maxQueue'>> & VeilOptions
let state: Consent = 'pending'
/** Do Not Track or Global Privacy Control is set and honoured: the SDK does nothing. */
let off: boolean | undefined
let queue: WireEvent[] = []
let inflight: WireEvent[] = []
let inflightBytes = 0
let busy: Promise<void> | undefined
let timer: ReturnType<typeof setTimeout> | undefined
let attempt = 0
let notBefore = 0
/** Until when the server asked for a pause (Retry-After), which even flush() honours. */
let asked = 0
let loaded = false
let userId: string | undefined
let lastPath: string | undefined
let sessionId = createUuid()
let delivered = 0
/** Consent was still pending when the page went; reported once. */
let toldPending: boolean | undefined
const dropped = newDropCounts()

export function init(options: VeilOptions): void {
  if (o) return
  o = { batchSize: 10, flushIntervalMs: 5000, maxQueue: 1000, ...options }
  const n = navigator
  off = o.honorPrivacySignals !== false && (n.globalPrivacyControl || n.doNotTrack == '1')
  userId = o.userId
  consent(o.consent || 'pending')
  addEventListener('pagehide', unload)
  addEventListener('visibilitychange', () => document.visibilityState == 'hidden' && unload())
  if (o.autoPageViews !== false) {
    for (const m of ['pushState', 'replaceState'] as const) {
      const f = history[m]
      history[m] = (...a: Parameters<History['pushState']>) => {
        f.apply(history, a)
        autoPage()
      }
    }
    addEventListener('popstate', autoPage)
    page()
  }
}

export const track: Track = (name: string, props?: Props): void => {
  if (!o || off || state == 'denied') return
  queue.push({ id: createUuid(), name, ts: Date.now(), user_id: userId, session_id: sessionId, org_id: o.orgId, props })
  save()
  schedule()
}

/**
 * A page view of `path` (default: the current one), always without query string and fragment,
 * with the router's template (`/orders/:id`) as `route` when given here or by the `route` option.
 */
export function page(path = location.pathname, route?: string): void {
  path = pagePath(path)
  track('page_view', { path, referrer_path: lastPath!, route: (route || (o.route && o.route(path)))! })
  lastPath = path
}

export function login(id: string, props?: { method?: string } & Props): void {
  userId = id
  track('login', props)
}

export function logout(props?: { reason?: string } & Props): void {
  track('logout', props)
  userId = undefined
}

export function feedback(f: Feedback): void {
  track('feedback', f as Props)
}

/** Granting sends what waited (and what an earlier page left unsent); denying forgets all of it. */
export function consent(c: Consent): void {
  state = c
  if (c == 'denied') queue = []
  if (c == 'denied' || (c == 'granted' && !loaded))
    try {
      if (c == 'granted') {
        loaded = true
        // One visitor per tab session: what waited for consent joins the tab's stored session.
        const s = sessionId
        sessionId = sessionStorage.veil_s ||= s
        for (const e of queue) if (e.session_id == s) e.session_id = sessionId
      }
      for (const k of Object.keys(localStorage))
        if (!k.indexOf(STORE)) {
          // Claimed once (removed before parsing, so a damaged entry goes too): from here on this
          // page's queue, including these events, is what the store holds.
          const kept = localStorage[k]
          localStorage.removeItem(k)
          // Stored events carry no id: they count for their tab session (stored.ts).
          if (c == 'granted') queue.push(...(JSON.parse(kept) as WireEvent[]))
        }
    } catch {}
  queue.sort((a, b) => a.ts - b.ts)
  save()
  schedule()
}

/**
 * Sends everything queued now, in as many requests as the limits need, even during a backoff
 * pause (never before a Retry-After); resolves with what it delivered and what still waits.
 */
export function flush(): Promise<FlushResult> {
  const before = delivered
  clearTimeout(timer)
  timer = undefined
  notBefore = Math.min(notBefore, asked)
  return Promise.resolve(busy)
    .then(() => send(true))
    .then(() => ({ delivered: delivered - before, queued: queue.length + inflight.length }))
}

export function stats(): Stats {
  return { queued: queue.length + inflight.length, delivered, dropped: { ...dropped } }
}

/** Every loss reaches onError once, and the console in debug mode. */
function report(e: VeilError): void {
  if (o.debug) console.warn('[veil]', e)
  try {
    o.onError && o.onError(e)
  } catch {}
}

function autoPage(): void {
  if (location.pathname != lastPath) page()
}

/** Persists unsent and unanswered events, dropping the oldest beyond `maxQueue`. */
function save(): void {
  const over = queue.length + inflight.length - o.maxQueue
  if (over > 0) {
    dropped.queue_overflow += queue.splice(0, over).length
    report({ type: 'queue_overflow', count: over, message: 'queue full' })
  }
  const all = inflight.concat(queue)
  if (state == 'granted')
    try {
      all.length ? localStorage.setItem(storeKey, JSON.stringify(all.map((e) => stored(e, TEXT.concat(o.textProps || []))))) : localStorage.removeItem(storeKey)
    } catch {}
}

function schedule(): void {
  if (state != 'granted' || off || busy || !queue.length) return
  // After a failure the events are overdue: send when the pause ends, not at the next batch time.
  const wait = Math.max(queue.length < o.batchSize && !attempt ? o.flushIntervalMs : 0, notBefore - Date.now())
  if (timer && wait) return
  clearTimeout(timer)
  timer = setTimeout(() => {
    timer = undefined
    send(false)
  }, wait)
}

function send(all: boolean): Promise<void> {
  if (state != 'granted' || off || busy || !queue.length || Date.now() < notBefore) return Promise.resolve()
  return (busy = post(false)!.then(() => {
    busy = undefined
    if (all && !attempt) return send(all)
    schedule()
  }))
}

/** On pagehide or a hidden tab this may be the last chance: send all of it at once. */
function unload(): void {
  if (state == 'pending' && queue.length && !toldPending) {
    toldPending = true
    report({ type: 'consent_pending', count: queue.length, message: 'lost without consent' })
  }
  if (state != 'granted' || off) return
  clearTimeout(timer)
  timer = undefined
  while (queue.length && post(true));
}

/**
 * Sends the head of the queue as one request within LIMITS (at most 25 events, 60 KB). Undefined
 * when a beacon could not be queued, so that the unload loop stops; the events stay stored.
 */
function post(unloading: boolean): Promise<void> | undefined {
  const envelope = { key: o.key, sent_at: Date.now(), context: context(), events: queue.slice(0, LIMITS.sdkMaxEventsPerRequest) }
  const sizes = envelope.events.map((e) => byteLength(JSON.stringify(e)))
  const n = fitBatch(sizes, byteLength(JSON.stringify({ ...envelope, events: [] })), LIMITS.sdkMaxEventsPerRequest, LIMITS.sdkMaxRequestBytes)
  if (!n) {
    dropped.too_large++
    report({ type: 'too_large', count: 1, event: queue.shift()!.name, message: 'too large' })
    return Promise.resolve()
  }
  const events = queue.splice(0, n)
  envelope.events.length = n
  inflight = inflight.concat(events)
  const body = JSON.stringify(envelope)
  const bytes = byteLength(body)
  const url = o.endpoint.replace(/\/$/, '') + '/v1/batch'
  const done = () => (inflight = inflight.filter((e) => !events.includes(e)))
  if (inflightBytes + bytes > KEEPALIVE_BYTES) {
    // Over the keepalive budget a fetch would fail or not outlive the page; a beacon is queued by
    // the browser itself. Its outcome is unknowable, so a queued beacon counts as sent.
    if (!unloading) return fetchBatch(url, body, events, done, false)
    if (!navigator.sendBeacon(url, body)) {
      queue.unshift(...events)
      done()
      return undefined
    }
    done()
    return Promise.resolve()
  }
  inflightBytes += bytes
  return fetchBatch(url, body, events, done, true).finally(() => (inflightBytes -= bytes))
}

/** A simple request (string body: text/plain, no preflight) answered per EVENTS.md "Response". */
function fetchBatch(url: string, body: string, events: WireEvent[], done: () => void, keepalive: boolean): Promise<void> {
  return fetch(url, { method: 'POST', body, keepalive, credentials: 'omit' })
    .then(
      (r) => {
        const s = r.status
        const verdict = classifyStatus(s)
        if (verdict == 'retry') return retry(parseRetryAfter(r.headers.get('retry-after'), Date.now()))
        attempt = 0
        if (verdict == 'drop') dropped.client_error += events.length
        return r.json().then(
          (b: Answer) => {
            if (verdict == 'sent') {
              dropped.rejected += b.rejected ? b.rejected.length : 0
              dropped.dropped += b.dropped ? b.dropped.length : 0
              delivered += b.accepted || 0
            }
            reportsOf(s, b, events.map((e) => e.name)).forEach(report)
          },
          () => {},
        )
      },
      () => retry(),
    )
    .finally(() => {
      done()
      save()
    })

  function retry(retryAfterMs?: number): void {
    // Back to the head of the queue, ahead of newer events, to be sent after the pause.
    queue.unshift(...events)
    notBefore = Date.now() + retryDelay(attempt++, retryAfterMs, Math.random)
    asked = retryAfterMs ? Date.now() + retryAfterMs : 0
  }
}

function context() {
  return { screen: { w: screen.width, h: screen.height }, lang: navigator.language, app_version: o.appVersion, deployment: o.deployment }
}
