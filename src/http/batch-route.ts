// POST /v1/batch (EVENTS.md): edge checks, then the pipeline, then the group-commit writer.
// The answer is 202 only after the accepted events are committed; storage trouble is a 503 with
// Retry-After and nothing half-acknowledged.
import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'
import type { AppConfig, AppRegistry } from '../apps.ts'
import type { Config } from '../config.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import type { Pipeline } from '../pipeline/index.ts'
import { EMPTY_FACTS } from '../pipeline/index.ts'
import { isDrop, type BatchFacts, type EventRow, type ParsedEvent } from '../pipeline/types.ts'
import type { SaltStore } from '../privacy/salts.ts'
import { scrubText } from '../privacy/scrub.ts'
import type { IdDedup } from '../storage/dedup.ts'
import { StorageUnavailableError, withDeadline, type Writer } from '../storage/writer.ts'
import { createEnvelopeSchema, describeIssues, parseEvent, type Envelope } from './batch-schema.ts'
import { clientIp } from './client-ip.ts'
import { HttpError, badRequest } from './errors.ts'
import { ClientClosedError, checkContentType, readBody } from './read-body.ts'
import type { RateLimiter } from './rate-limit.ts'
import { sanitizeRejected, scrubClip, type QuarantineRow } from './quarantine.ts'

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

function findApp(deps: BatchDeps, c: Context, envelope: Envelope): { app: AppConfig; key: string } {
  const auth = c.req.header('authorization')
  const bearer = auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : undefined
  const key = envelope.key ?? bearer
  if (!key) throw new HttpError(401, 'a write key is required: put it in the body as "key" or send Authorization: Bearer <write key>')
  const app = deps.apps.byWriteKey(key)
  if (!app) {
    const isRead = deps.apps.byReadKey(key).length > 0
    throw new HttpError(401, isRead ? 'this is a read key; sending events needs the app\'s write key' : 'unknown write key')
  }
  return { app, key }
}

function batchFacts(envelope: Envelope): BatchFacts {
  const ctx = envelope.context ?? {}
  return {
    lang: ctx.lang ?? '',
    screen_w: ctx.screen?.w ?? 0,
    screen_h: ctx.screen?.h ?? 0,
    app_version: ctx.app_version ? scrubText(ctx.app_version) : '',
    deployment: ctx.deployment ? scrubText(ctx.deployment) : '',
    os: ctx.os && { name: scrubText(ctx.os.name), version: ctx.os.version && scrubText(ctx.os.version) },
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (e) {
    throw badRequest(`the body is not valid JSON (${(e as Error).message})`)
  }
}

/** node:http's message on @hono/node-server; undefined in app.request() tests. */
function incomingOf(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
}

function peerAddress(c: Context): string | undefined {
  return incomingOf(c)?.socket?.remoteAddress
}

export function createBatchHandler(deps: BatchDeps) {
  const { config, metrics } = deps
  const envelopeSchema = createEnvelopeSchema(config.MAX_EVENTS_PER_BATCH)

  return async function batch(c: Context): Promise<Response> {
    checkContentType(c.req.raw)
    const text = await readBody(c.req.raw, config.MAX_BODY_BYTES, incomingOf(c)).catch((e: unknown) => {
      if (e instanceof ClientClosedError) metrics.inc('client_aborted_total')
      throw e
    })
    const json = parseJson(text)
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw badRequest('the body must be a JSON object: {"key": ..., "events": [...]}')
    }
    const parsed = envelopeSchema.safeParse(json)
    if (!parsed.success) throw badRequest(`not a batch: ${describeIssues(parsed.error)}`)
    const envelope = parsed.data
    const { app, key } = findApp(deps, c, envelope)

    const wait = deps.rateLimiter.take(key, app.rate_limit_rps ?? config.RATE_LIMIT_RPS)
    if (wait > 0) {
      metrics.inc('rate_limited_total')
      throw new HttpError(429, `too many requests for this write key; retry in ${wait} s`, { 'Retry-After': String(wait) })
    }

    const receivedAt = deps.now()
    const events = envelope.events
    const req = deps.pipeline.request({
      app,
      gpc: c.req.header('sec-gpc') === '1',
      client: {
        ip: clientIp(peerAddress(c), c.req.header('x-forwarded-for') ?? null, config.TRUST_PROXY),
        // The on-prem SDK reports its OS in the body instead; the User-Agent of its HTTP
        // library ("node", "undici") says nothing about the user and is no bot signal.
        userAgent: envelope.context?.os ? undefined : c.req.header('user-agent'),
      },
      facts: { ...EMPTY_FACTS },
    })
    if (isDrop(req)) {
      metrics.inc('dropped_events_total', { reason: req.drop }, events.length)
      return c.json({ accepted: 0, rejected: events.map((_, index) => ({ index, reason: req.message })) }, 202)
    }

    let keys
    try {
      const [salt, orgKey] = await Promise.all([deps.salts.current(app.id, app.salt_rotation_hours), deps.salts.orgKey()])
      keys = { appId: app.id, period: salt.period, generation: salt.generation, salt: salt.salt, orgKey }
    } catch (cause) {
      throw new StorageUnavailableError('cannot read the salts from storage', 'failed', { cause })
    }

    const batch = batchFacts(envelope)
    const rows: EventRow[] = []
    /** The batch index of each row, to name rows ClickHouse refuses (dead-lettered). */
    const rowIndex: number[] = []
    const rejected: Rejection[] = []
    const quarantined: QuarantineRow[] = []
    const ctx = { appId: app.id, keys, req, batch, receivedAt, sentAt: envelope.sent_at, maxAgeMs: config.MAX_EVENT_AGE_HOURS * 3600_000, maxFutureMs: config.MAX_FUTURE_SKEW_MINUTES * 60_000 }
    for (let index = 0; index < events.length; index++) {
      const raw = events[index]
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
      metrics.inc('rejected_events_total', { reason: kind })
      quarantined.push([app.id, receivedAt, index, scrubClip(reason, 300), ...sanitizeRejected(raw)])
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
    metrics.inc('accepted_events_total', undefined, accepted)
    if (plan.duplicates > 0) metrics.inc('duplicate_events_total', undefined, plan.duplicates)
    return c.json({ accepted, rejected }, 202)
  }
}
