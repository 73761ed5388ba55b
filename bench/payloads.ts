// Request bodies for the benchmark (EVENTS.md wire format). Every request carries fresh event
// ids, because the server stores an id once: identical bodies would be acknowledged but stored
// once, and the "stored in ClickHouse" check would be meaningless. A body is a template split
// at its ids; each request fills in an 8-hex-digit counter, which costs a join, not a rebuild.
import { randomBytes } from 'node:crypto'

export interface PayloadSpec {
  /** Events per request. */
  events: number
  /** Every n-th event is invalid (rejected with a reason, quarantined); 0 = none. */
  invalidEvery?: number
  /**
   * A new user and session on every event (cold HMAC cache). Otherwise each request comes from
   * one user and session of a pool of 200, as a batch of an SDK does.
   */
  distinctUsers?: boolean
}

export interface Payload {
  /** A fresh body: unique event ids (and users, if asked) on every call. */
  next(): string
  /** Valid events per body: what a 202 acknowledges. */
  validPerRequest: number
  eventsPerRequest: number
  /** Size of one body in bytes. */
  bytes: number
}

const hex = (n: number) => randomBytes(n).toString('hex')

/** Id tails per payload (bench/payloads.ts createPayload). */
const TAILS = 65_536

/** The kinds of events a product sends most: page changes, report queries, logins. */
function eventJson(i: number, idHole: string, user: string, session: string, invalid: boolean, ts: number): string {
  const kind = i % 3
  const name = invalid ? 'Bad Name!' : kind === 0 ? 'page_view' : kind === 1 ? 'report_query' : 'login'
  const props =
    kind === 0
      ? { path: `/reports/${1000 + i}/view`, referrer_path: '/dashboard' }
      : kind === 1
        ? { report: 'monthly_alarms', duration_ms: 1840 + i, rows: 312, status: 'ok' }
        : { method: 'sso' }
  return JSON.stringify({ id: idHole, name, ts, user_id: user, session_id: session, org_id: 'customer-77', props })
}

export function createPayload(key: string, spec: PayloadSpec): Payload {
  const ts = Date.now()
  // The id of event i of request n is `${n as 8 hex}-${tails[(n * events + i) % 65536]}`: unique
  // across requests by n, within one by the tails (65,536 of them, drawn at random per payload,
  // so two scenarios' ids differ too). The tails hold the half ClickHouse orders UUIDs by
  // (their second half first): a batch's ids fall all over recent_event_ids' key space, as SDKs'
  // random v4 ids do, so a lookup of them reads a granule per id and part. (Ids that shared
  // their second half per event index, as this bench's did before, sat side by side there, and
  // a lookup of 2,000 of them cost a third of what 2,000 v4 ids cost.)
  const ID = '@@ID@@'
  const USER = '@@USER@@'
  const POOL = '@@POOL@@'
  const tails = Array.from({ length: TAILS }, () => {
    const b = randomBytes(12).toString('hex')
    // Version 4, and a variant digit of 8, 9, a or b, as crypto.randomUUID() makes them.
    return `${b.slice(0, 4)}-4${b.slice(4, 7)}-${'89ab'[parseInt(b[7]!, 16) & 3]}${b.slice(8, 11)}-${b.slice(11, 23)}`
  })
  let valid = 0
  const events: string[] = []
  for (let i = 0; i < spec.events; i++) {
    const invalid = spec.invalidEvery ? i % spec.invalidEvery === spec.invalidEvery - 1 : false
    if (!invalid) valid++
    const user = spec.distinctUsers ? `u-${USER}-${i}` : `u-${POOL}`
    const session = spec.distinctUsers ? `s-${USER}-${i}` : `s-${POOL}`
    events.push(eventJson(i, ID, user, session, invalid, ts))
  }
  const body = JSON.stringify({
    key,
    sent_at: ts,
    context: { app_version: '4.2.1', deployment: 'cloud', screen: { w: 1920, h: 1080 }, lang: 'de-DE' },
    events: ['@@EVENTS@@'],
  }).replace('"@@EVENTS@@"', events.join(','))
  // Event ids take the request counter and their tail, users with distinctUsers the counter, pooled
  // users its rest.
  const parts = body.split(/@@(?:ID|USER|POOL)@@/)
  const holes = [...body.matchAll(/@@(ID|USER|POOL)@@/g)].map((m) => m[1]!)
  let counter = parseInt(hex(3), 16) // a random start, so two runs never share ids
  return {
    next() {
      const n = counter++ >>> 0
      const c = n.toString(16).padStart(8, '0')
      const user = String(n % 200)
      let id = (n * spec.events) >>> 0
      let out = parts[0]!
      for (let i = 1; i < parts.length; i++) {
        const hole = holes[i - 1]
        out += (hole === 'ID' ? `${c}-${tails[id++ % TAILS]}` : hole === 'POOL' ? user : c) + parts[i]!
      }
      return out
    },
    validPerRequest: valid,
    eventsPerRequest: spec.events,
    bytes: Buffer.byteLength(body),
  }
}

/** A distinct but realistic User-Agent per call (Chrome builds differ in the last two parts). */
export function createUserAgents(): () => string {
  let n = 0
  return () => {
    n++
    return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${100 + (n % 30)}.0.${n >>> 8}.${n & 255} Safari/537.36`
  }
}

export const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'

/**
 * The client headers of each request: Chrome's User-Agent, or with `cold` a new User-Agent and a
 * new client /24 (X-Forwarded-For, believed from the bench's trusted proxy) on every call.
 */
export function createClientHeaders(cold: boolean | undefined): () => Record<string, string> {
  const nextUa = createUserAgents()
  let n = 0
  return (): Record<string, string> => {
    n++
    if (!cold) return { 'user-agent': CHROME_UA }
    return { 'user-agent': nextUa(), 'x-forwarded-for': `${(n >>> 16) & 255 || 1}.${(n >>> 8) & 255}.${n & 255}.7` }
  }
}
