// The ingestion core (DESIGN.md "ingest"): rate limit, request and event pipeline, quarantine,
// dedup and the group-commit writer, on plain values (ingest-request.ts). The HTTP route, the
// PostHog and Segment dialects and a relay are transports around it; nothing here knows HTTP.
import type { Config } from '../config.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { EventContext, Pipeline } from '../pipeline/index.ts'
import { EMPTY_FACTS } from '../pipeline/index.ts'
import type { SaltedKeys } from '../pipeline/steps/hash-ids.ts'
import { isDrop, type EventRow } from '../pipeline/types.ts'
import type { DroppedProp } from '../plan/compile-plan.ts'
import type { SaltStore } from '../privacy/salts.ts'
import type { IdDedup } from '../storage/dedup/retry-memory.ts'
import { StorageUnavailableError, withDeadline, type Writer } from '../storage/commit/writer.ts'
import type { AppConfig } from '../apps/apps.ts'
import { createEventParser, type FastPathVerifier } from './batch-schema.ts'
import { countDroppedProps } from './dropped-props.ts'
import { shapeOfRejected, shownReason, type QuarantineRow } from './quarantine-shape.ts'
import { planOf } from '../plan/plans.ts'
import type { RateLimiter } from './rate-limit.ts'
import type { Dropped, IngestOutcome, IngestPart, IngestRequest, IngestResult, Rejection } from './ingest-request.ts'

export interface IngestDeps {
  config: Pick<Config, 'RATE_LIMIT_RPS' | 'MAX_EVENT_AGE_HOURS' | 'MAX_FUTURE_SKEW_MINUTES' | 'WRITER_TIMEOUT_MS'>
  pipeline: Pipeline
  salts: SaltStore
  writer: Writer<EventRow>
  quarantine: Writer<QuarantineRow>
  dedup: IdDedup
  rateLimiter: RateLimiter
  metrics: Metrics
  now: () => number
  /** Judges the fast path of every event parse against zod (tests only; batch-schema.ts). */
  verifyFastPath?: FastPathVerifier
}

export type Ingest = (request: IngestRequest) => Promise<IngestOutcome>

/** What the pipeline made of a request's parts, before anything is stored. */
interface Sorted {
  rows: EventRow[]
  /** The request index of each row, to name rows ClickHouse refuses (dead-lettered). */
  rowIndex: number[]
  rejected: Rejection[]
  dropped: Dropped[]
  quarantined: QuarantineRow[]
  droppedProps: DroppedProp[]
}

/** The salted keys of the app, read once per request and only when a part needs them. */
function saltedKeysOnce(salts: SaltStore, app: AppConfig): () => Promise<SaltedKeys> {
  let keys: SaltedKeys | undefined
  return async () => {
    if (keys) return keys
    try {
      const salt = await salts.current(app.id, app.salt_rotation_hours)
      return (keys = { appId: app.id, period: salt.period, generation: salt.generation, salt: salt.salt, orgKey: salt.orgKey, retiresAt: salt.retiresAt })
    } catch (cause) {
      throw new StorageUnavailableError('cannot read the salts from storage', 'failed', { cause })
    }
  }
}

/** Dedup, then the writer; resolves with the rows storage refused for their data (also a relay's rows: src/relay/central/). */
export async function commitRows(deps: Pick<IngestDeps, 'dedup' | 'writer'> & { config: Pick<Config, 'WRITER_TIMEOUT_MS'> }, rows: EventRow[]): Promise<{ dead: EventRow[]; duplicates: number }> {
  const plan = deps.dedup.plan(rows, (r) => r[1])
  const submitted = deps.writer.submit(plan.fresh)
  // The memory follows the eventual outcome: a retry of rows whose insert is being re-sent
  // waits for it instead of writing them again under another token (F6, docs/durability.md).
  deps.dedup.track(plan.fresh.map((r) => r[1]), submitted.stored)
  try {
    const [dead] = await withDeadline(Promise.all([submitted.acked, ...plan.waitFor]), deps.config.WRITER_TIMEOUT_MS)
    return { dead, duplicates: plan.duplicates }
  } catch (e) {
    // The client keeps the events and sends them again later.
    if (e instanceof StorageUnavailableError) throw new StorageUnavailableError(`events not stored: ${e.message}`, e.reason, { cause: e.cause ?? e })
    throw e
  }
}

/** The answer once the rows are committed: rows storage refused are named as rejected. */
function resultOf(out: Sorted, dead: EventRow[]): IngestResult {
  let accepted = out.rows.length
  if (dead.length > 0) {
    // Refused by ClickHouse for their data (poison.ts): quarantined by the writer, named here.
    const deadIds = new Set(dead.map((r) => r[1]))
    for (let i = 0; i < out.rows.length; i++) {
      if (deadIds.has(out.rows[i]![1])) out.rejected.push({ index: out.rowIndex[i]!, reason: 'storage refused this event\'s data' })
    }
    accepted -= dead.length
  }
  return { accepted, rejected: out.rejected, dropped: out.dropped }
}

/**
 * The core. Its answer comes only once the accepted events are committed; storage trouble
 * throws StorageUnavailableError, which a transport maps to "retry later" (a 503).
 */
export function createIngest(deps: IngestDeps): Ingest {
  const { config, metrics } = deps
  const parseEvent = createEventParser(deps.verifyFastPath)
  const window = { maxAgeMs: config.MAX_EVENT_AGE_HOURS * 3600_000, maxFutureMs: config.MAX_FUTURE_SKEW_MINUTES * 60_000 }

  /** One part through the request steps, then each of its events through the event steps. */
  async function runPart(request: IngestRequest, part: IngestPart, base: number, receivedAt: number, keys: () => Promise<SaltedKeys>, out: Sorted) {
    const { app } = request
    const events = part.events
    // Before the request steps: put_device keys the device with the period's salt.
    const saltedKeys = await keys()
    const req = deps.pipeline.request({
      app,
      gpc: request.gpc,
      client: {
        ip: part.clientIp ?? request.clientIp,
        // The on-prem SDK reports its OS in the body instead; the User-Agent of its HTTP
        // library ("node", "undici") says nothing about the user and is no bot signal.
        userAgent: part.context?.os || part.serverSide ? undefined : request.userAgent,
        browserHeaders: !part.serverSide && request.sentByBrowser,
      },
      facts: { ...EMPTY_FACTS },
    }, { keys: saltedKeys })
    if (isDrop(req)) {
      metrics.inc('dropped_events_total', { app: app.id, reason: req.drop }, events.length)
      // Valid but not recorded by policy: listed in `dropped`, never as rejections (EVENTS.md).
      for (let i = 0; i < events.length; i++) out.dropped.push({ index: base + i, reason: req.drop, message: req.message })
      return
    }
    const ctx: EventContext = {
      appId: app.id, keys: saltedKeys, req, batch: deps.pipeline.context(part.context), droppedProps: out.droppedProps,
      receivedAt, sentAt: request.sentAt, ...window,
    }
    for (let i = 0; i < events.length; i++) {
      const index = base + i
      const raw = events[i]
      const valid = parseEvent(raw)
      let reason: string
      let kind: string
      if (valid.ok) {
        const row = deps.pipeline.event(valid.event, ctx)
        if (!isDrop(row)) {
          out.rows.push(row)
          out.rowIndex.push(index)
          continue
        }
        reason = row.message
        kind = row.drop
      } else {
        reason = valid.reason
        kind = 'invalid'
      }
      // Names and keys the plan does not declare are shown by their shape only (issue 25).
      reason = shownReason(reason, raw, planOf(app))
      out.rejected.push({ index, reason })
      metrics.inc('rejected_events_total', { app: app.id, reason: kind })
      out.quarantined.push([app.id, receivedAt, index, reason.slice(0, 300), ...shapeOfRejected(raw, planOf(app))])
    }
  }

  return async function ingest(request) {
    const { app } = request
    const wait = deps.rateLimiter.take(request.key, app.rate_limit_rps ?? config.RATE_LIMIT_RPS)
    if (wait > 0) {
      metrics.inc('rate_limited_total', { app: app.id })
      return { refused: 'rate_limited', retryAfterSeconds: wait, message: `too many requests for this write key; retry in ${wait} s` }
    }
    const receivedAt = deps.now()
    const keys = saltedKeysOnce(deps.salts, app)
    const out: Sorted = { rows: [], rowIndex: [], rejected: [], dropped: [], quarantined: [], droppedProps: [] }
    let base = 0
    for (const part of request.parts) {
      await runPart(request, part, base, receivedAt, keys, out)
      base += part.events.length
    }
    if (out.quarantined.length > 0) {
      // Diagnostics, not part of the acknowledgement: a failure is counted, never a 503.
      deps.quarantine.write(out.quarantined).catch(() => metrics.inc('quarantine_write_failures_total'))
    }
    const { dead, duplicates } = await commitRows(deps, out.rows)
    const result = resultOf(out, dead)
    metrics.inc('accepted_events_total', { app: app.id }, result.accepted)
    if (duplicates > 0) metrics.inc('duplicate_events_total', { app: app.id }, duplicates)
    if (out.droppedProps.length > 0) result.dropped_props = countDroppedProps(out.droppedProps, metrics)
    return { result }
  }
}
