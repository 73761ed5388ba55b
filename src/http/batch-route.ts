// POST /v1/batch (EVENTS.md): the HTTP transport of the ingestion core. Edge checks (content
// type, body size, JSON, envelope, write key) here; everything after them in the core
// (src/ingest/ingest-core.ts). The answer is 202 only after the accepted events are committed;
// storage trouble is a 503 with Retry-After (http/app.ts) and nothing half-acknowledged.
import type { Context } from 'hono'
import type { AppConfig, AppRegistry } from '../apps/apps.ts'
import type { Config } from '../config.ts'
import type { Logger } from '../observability/logger.ts'
import { createEnvelopeParser, type Envelope } from '../ingest/batch-schema.ts'
import type { Ingest, IngestDeps } from '../ingest/ingest-core.ts'
import type { IngestResult } from '../ingest/ingest-request.ts'
import { badRequest } from './errors.ts'
import { appOfWriteKey, incomingOf, ingestRequestOf, parseJson, resultOrRefusal } from './ingest-adapter.ts'
import { ClientClosedError, checkContentType, readBody } from './read-body.ts'

/** What the ingestion routes need: the core's parts, and the apps and config of the edge. */
export interface BatchDeps extends IngestDeps {
  config: Config
  apps: AppRegistry
  logger: Logger
}

function findApp(apps: AppRegistry, c: Context, envelope: Envelope): { app: AppConfig; key: string } {
  const auth = c.req.header('authorization')
  const bearer = auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : undefined
  const key = envelope.key ?? bearer
  const app = appOfWriteKey(apps, key, 'a write key is required: put it in the body as "key" or send Authorization: Bearer <write key>')
  return { app, key: key! }
}

/** What lets a page read every answer of /v1/batch, errors too (http/app.ts sets them on the others). */
export const BATCH_CORS_HEADERS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Retry-After' } as const

// The 202's headers as a plain object: @hono/node-server writes such a response's headers as
// they are, where c.json() or c.header() would build a web Headers object per request and the
// adapter would convert it back (together about a twentieth of a 1-event request's CPU).
const ACCEPTED_HEADERS = { 'Content-Type': 'application/json', ...BATCH_CORS_HEADERS }

export function createBatchHandler(deps: BatchDeps, ingest: Ingest) {
  const { config, metrics } = deps
  const parseEnvelope = createEnvelopeParser(config.MAX_EVENTS_PER_BATCH, deps.verifyFastPath)

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
    const { app, key } = findApp(deps.apps, c, envelope)
    const parts = [{ context: envelope.context, events: envelope.events }]
    return resultOrRefusal(await ingest(ingestRequestOf(c, config.TRUST_PROXY, { app, key, sentAt: envelope.sent_at, parts })))
  }
}
