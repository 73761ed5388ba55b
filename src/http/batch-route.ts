// POST /v1/batch (EVENTS.md): edge checks, then the pipeline, then the group-commit writer.
// The answer is 202 only after the accepted events are committed; storage trouble is a 503 with
// Retry-After and nothing half-acknowledged.
import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'
import type { AppConfig, AppRegistry } from '../apps/apps.ts'
import type { Config } from '../config.ts'
import type { Logger } from '../observability/logger.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { Pipeline } from '../pipeline/index.ts'
import type { SaltedKeys } from '../pipeline/steps/hash-ids.ts'
import { EMPTY_FACTS } from '../pipeline/index.ts'
import { isDrop, type EventRow, type ParsedEvent } from '../pipeline/types.ts'
import type { SaltStore } from '../privacy/salts.ts'
import type { DroppedProp } from '../plan/compile-plan.ts'
import type { IdDedup } from '../storage/dedup/retry-memory.ts'
import { StorageUnavailableError, withDeadline, type Writer } from '../storage/commit/writer.ts'
import { createEnvelopeParser, parseEvent, type Envelope } from '../ingest/batch-schema.ts'
import { clientIp } from './client-ip.ts'
import { HttpError, badRequest } from './errors.ts'
import { ClientClosedError, checkContentType, readBody } from './read-body.ts'
import type { RateLimiter } from '../ingest/rate-limit.ts'
import { shapeOfRejected, type QuarantineRow } from '../ingest/quarantine-shape.ts'
import { countDroppedProps } from '../ingest/dropped-props.ts'

export interface BatchDeps {
  config: Config
  apps: AppRegistry
  pipeline: Pipeline
  salts: SaltStore
  writer: Writer<EventRow>
  quarantine: Writer<QuarantineRow>
  dedup: IdDedup
  rateLimiter: RateLimiter
  metrics: Metrics
  logger: Logger
  now: () => number
}

interface Rejection {
  index: number
  reason: string
}

/** Valid, but not recorded by policy (a bot in browser traffic, Global Privacy Control). */
interface Dropped {
  index: number
  reason: string
  message: string
}

/** JSON.parse with a 400 that names the problem and never echoes the body (also for the dialects). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (e) {
    // V8's message quotes the body ("Unexpected token 'j', "{"key":jane.roe@e"... is not valid
    // JSON"): the answer names the problem without echoing what was sent.
    const m = (e as Error).message
    const token = /^Unexpected token '(.)'/.exec(m)?.[1]
    const what = m.startsWith('Unexpected end') ? 'it ends too early' : token && /[{}[\],:"]/.test(token) ? `unexpected '${token}'` : 'unexpected input'
    const at = /position (\d+)/.exec(m)?.[1]
    throw badRequest(`the body is not valid JSON (${what}${at ? ` at position ${at}` : ''})`)
  }
}

/** node:http's message on @hono/node-server; undefined in app.request() tests. */
export function incomingOf(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
}

function peerAddress(c: Context): string | undefined {
  return incomingOf(c)?.socket?.remoteAddress
}

/** Browsers set Fetch metadata and Origin themselves on fetch and sendBeacon; HTTP libraries do not. */
function sentByBrowser(c: Context): boolean {
  return c.req.header('sec-fetch-mode') !== undefined || c.req.header('sec-fetch-site') !== undefined || c.req.header('origin') !== undefined
}

/** One group of events that share a sender and a context (a dialect batch may mix them). */
export interface IngestPart {
  context?: Envelope['context']
  /** The client address for this part; default: the request's (socket or trusted proxy). */
  clientIp?: string
  /** A server-side sender (posthog-node, analytics-node): its HTTP library's User-Agent is no bot signal. */
  serverSide?: boolean
  events: readonly unknown[]
}

/** A batch already parsed and authenticated, as /v1/batch and the dialect routes hand it over. */
export interface IngestInput {
  app: AppConfig
  /** The write key used, for the rate limit. */
  key: string
  sentAt?: number
  parts: readonly IngestPart[]
}

/** The 202 answer of /v1/batch (EVENTS.md "Response"). Indexes count across the parts, in order. */
export interface IngestResult {
  accepted: number
  rejected: Rejection[]
  dropped: Dropped[]
  /** Props the tracking plan dropped, per key; only when there are any. */
  dropped_props?: Record<string, number>
}

/** The app of a write key, or a 401 that says what is wrong. */
export function appOfWriteKey(apps: AppRegistry, key: string | undefined, missing: string): AppConfig {
  if (!key) throw new HttpError(401, missing)
  const app = apps.byWriteKey(key)
  if (!app) {
    const isRead = apps.byReadKey(key).length > 0
    throw new HttpError(401, isRead ? 'this is a read key; sending events needs the app\'s write key' : 'unknown write key')
  }
  return app
}

function findApp(deps: BatchDeps, c: Context, envelope: Envelope): { app: AppConfig; key: string } {
  const auth = c.req.header('authorization')
  const bearer = auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : undefined
  const key = envelope.key ?? bearer
  const app = appOfWriteKey(deps.apps, key, 'a write key is required: put it in the body as "key" or send Authorization: Bearer <write key>')
  return { app, key: key! }
}

/**
 * Everything after parsing, for /v1/batch and the dialect routes alike: rate limit, request and
 * event pipeline, quarantine, dedup and the writer. Resolves only once the accepted events are
 * committed; storage trouble throws StorageUnavailableError (a 503 in the app's error handler).
 */
export async function ingestBatch(deps: BatchDeps, c: Context, input: IngestInput): Promise<IngestResult> {
  const { config, metrics } = deps
  const { app, key } = input
  const wait = deps.rateLimiter.take(key, app.rate_limit_rps ?? config.RATE_LIMIT_RPS)
  if (wait > 0) {
    metrics.inc('rate_limited_total', { app: app.id })
    throw new HttpError(429, `too many requests for this write key; retry in ${wait} s`, { 'Retry-After': String(wait) })
  }

  const receivedAt = deps.now()
  // Read once, and only when some part gets past the request steps (a dropped bot needs none).
  let keys: SaltedKeys | undefined
  const saltedKeys = async (): Promise<SaltedKeys> => {
    if (keys) return keys
    try {
      const [salt, orgKey] = await Promise.all([deps.salts.current(app.id, app.salt_rotation_hours), deps.salts.orgKey()])
      return (keys = { appId: app.id, period: salt.period, generation: salt.generation, salt: salt.salt, orgKey })
    } catch (cause) {
      throw new StorageUnavailableError('cannot read the salts from storage', 'failed', { cause })
    }
  }

  const requestIp = clientIp(peerAddress(c), c.req.header('x-forwarded-for') ?? null, config.TRUST_PROXY)
  const rows: EventRow[] = []
  /** The request index of each row, to name rows ClickHouse refuses (dead-lettered). */
  const rowIndex: number[] = []
  const rejected: Rejection[] = []
  const dropped: Dropped[] = []
  const quarantined: QuarantineRow[] = []
  const droppedProps: DroppedProp[] = []
  let offset = 0
  for (const part of input.parts) {
    const events = part.events
    const base = offset
    offset += events.length
    const req = deps.pipeline.request({
      app,
      gpc: c.req.header('sec-gpc') === '1',
      client: {
        ip: part.clientIp ?? requestIp,
        // The on-prem SDK reports its OS in the body instead; the User-Agent of its HTTP
        // library ("node", "undici") says nothing about the user and is no bot signal.
        userAgent: part.context?.os || part.serverSide ? undefined : c.req.header('user-agent'),
        browserHeaders: !part.serverSide && sentByBrowser(c),
      },
      facts: { ...EMPTY_FACTS },
    })
    if (isDrop(req)) {
      metrics.inc('dropped_events_total', { app: app.id, reason: req.drop }, events.length)
      // Valid but not recorded by policy: listed in `dropped`, never as rejections (EVENTS.md).
      for (let i = 0; i < events.length; i++) dropped.push({ index: base + i, reason: req.drop, message: req.message })
      continue
    }
    const batch = deps.pipeline.context(part.context)
    const ctx = { appId: app.id, keys: await saltedKeys(), req, batch, droppedProps, receivedAt, sentAt: input.sentAt, maxAgeMs: config.MAX_EVENT_AGE_HOURS * 3600_000, maxFutureMs: config.MAX_FUTURE_SKEW_MINUTES * 60_000 }
    for (let i = 0; i < events.length; i++) {
      const index = base + i
      const raw = events[i]
      const valid = parseEvent(raw)
      let reason: string
      let kind: string
      if (valid.ok) {
        const row = deps.pipeline.event(valid.event as ParsedEvent, ctx)
        if (!isDrop(row)) {
          rows.push(row)
          rowIndex.push(index)
          continue
        }
        reason = row.message
        kind = row.drop
      } else {
        reason = valid.reason
        kind = 'invalid'
      }
      rejected.push({ index, reason })
      metrics.inc('rejected_events_total', { app: app.id, reason: kind })
      quarantined.push([app.id, receivedAt, index, reason.slice(0, 300), ...shapeOfRejected(raw)])
    }
  }

  if (quarantined.length > 0) {
    // Diagnostics, not part of the acknowledgement: a failure is counted, never a 503.
    deps.quarantine.write(quarantined).catch(() => metrics.inc('quarantine_write_failures_total'))
  }

  const plan = deps.dedup.plan(rows, (r) => r[1])
  const commit = deps.writer.submit(plan.fresh)
  // The memory follows the eventual outcome: a retry of rows whose insert is being re-sent
  // waits for it instead of writing them again under another token (F6, docs/durability.md).
  deps.dedup.track(plan.fresh.map((r) => r[1]), commit.stored)
  let dead: EventRow[]
  try {
    ;[dead] = await withDeadline(Promise.all([commit.acked, ...plan.waitFor]), config.WRITER_TIMEOUT_MS)
  } catch (e) {
    if (e instanceof StorageUnavailableError) {
      // Mapped to 503 + Retry-After by the app's error handler; the client keeps the events.
      throw new StorageUnavailableError(`events not stored: ${e.message}`, e.reason, { cause: e.cause ?? e })
    }
    throw e
  }
  let accepted = rows.length
  if (dead.length > 0) {
    // Refused by ClickHouse for their data (poison.ts): quarantined by the writer, named here.
    const deadIds = new Set(dead.map((r) => r[1]))
    for (let i = 0; i < rows.length; i++) {
      if (deadIds.has(rows[i]![1])) rejected.push({ index: rowIndex[i]!, reason: 'storage refused this event\'s data' })
    }
    accepted -= dead.length
  }
  metrics.inc('accepted_events_total', { app: app.id }, accepted)
  if (plan.duplicates > 0) metrics.inc('duplicate_events_total', { app: app.id }, plan.duplicates)
  const result: IngestResult = { accepted, rejected, dropped }
  if (droppedProps.length > 0) result.dropped_props = countDroppedProps(droppedProps, metrics)
  return result
}

/** What lets a page read every answer of /v1/batch, errors too (http/app.ts sets them on the others). */
export const BATCH_CORS_HEADERS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Retry-After' } as const

// The 202's headers as a plain object: @hono/node-server writes such a response's headers as
// they are, where c.json() or c.header() would build a web Headers object per request and the
// adapter would convert it back (together about a twentieth of a 1-event request's CPU).
const ACCEPTED_HEADERS = { 'Content-Type': 'application/json', ...BATCH_CORS_HEADERS }

export function createBatchHandler(deps: BatchDeps) {
  const { config, metrics } = deps
  const parseEnvelope = createEnvelopeParser(config.MAX_EVENTS_PER_BATCH)

  return async function batch(c: Context): Promise<Response> {
    try {
      return new Response(JSON.stringify(await accept(c)), { status: 202, headers: ACCEPTED_HEADERS })
    } catch (e) {
      // The error answer is built by the app's error handler from this context's headers.
      for (const [name, value] of Object.entries(BATCH_CORS_HEADERS)) c.header(name, value)
      throw e
    }
  }

  async function accept(c: Context): Promise<IngestResult> {
    checkContentType(c.req.raw)
    const text = await readBody(c.req.raw, config.MAX_BODY_BYTES, incomingOf(c)).catch((e: unknown) => {
      if (e instanceof ClientClosedError) metrics.inc('client_aborted_total')
      throw e
    })
    const json = parseJson(text)
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw badRequest('the body must be a JSON object: {"key": ..., "events": [...]}')
    }
    const parsed = parseEnvelope(json)
    if (!parsed.ok) throw badRequest(`not a batch: ${parsed.reason}`)
    const envelope = parsed.envelope
    const { app, key } = findApp(deps, c, envelope)
    return ingestBatch(deps, c, {
      app,
      key,
      sentAt: envelope.sent_at,
      parts: [{ context: envelope.context, events: envelope.events }],
    })
  }
}
