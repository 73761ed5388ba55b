// The PostHog (/posthog/...) and Segment (/segment/v1/...) endpoints: read and decode the body,
// find the app, translate, then the ingestion core as POST /v1/batch uses it
// (src/ingest/ingest-core.ts): rate limit, pipeline, dedup, durable write. Answers are what the SDKs count as success: 200 only once the
// events are committed (posthog-js treats nothing else as sent); a 503 stays a 503 so they retry.
import { Hono, type Context } from 'hono'
import { cors } from 'hono/cors'
import type { AppConfig } from '../apps/apps.ts'
import type { BatchDeps } from '../http/batch-route.ts'
import { appOfWriteKey, ingestRequestOf, resultOrRefusal } from '../http/ingest-adapter.ts'
import type { Ingest } from '../ingest/ingest-core.ts'
import { StorageUnavailableError } from '../storage/commit/writer.ts'
import type { Dialect, Translated } from './common.ts'
import { readPayload } from './read-payload.ts'
import { readPostHogBody, translatePostHog } from './posthog.ts'
import { SEGMENT_MAX_BATCH_BYTES, SEGMENT_PATHS, readSegmentBody, translateSegment } from './segment.ts'
import { noFlagsResponse, segmentSettings } from './responses.ts'

const POSTHOG_CAPTURE = ['/batch', '/e', '/i/v0/e', '/capture', '/track']

export interface CompatDeps extends BatchDeps {
  /** Where this node listens, when it does (the Segment settings' fallback without PUBLIC_URL). */
  listeningPort?: () => number
}

export function createCompatRoutes(deps: CompatDeps, core: Ingest): Hono {
  const { config, metrics } = deps
  const app = new Hono()

  // The browser SDKs post cross-origin, with a preflight whenever they add a header (JSON
  // content type, Authorization for Segment). No cookies are involved, so any origin may read.
  for (const prefix of ['/posthog/*', '/segment/*']) {
    app.use(prefix, async (c, next) => {
      c.header('Access-Control-Allow-Origin', '*')
      c.header('Access-Control-Expose-Headers', 'Retry-After')
      await next()
    })
    app.options(prefix, cors({ origin: '*', allowMethods: ['GET', 'POST', 'OPTIONS'], exposeHeaders: ['Retry-After'], maxAge: 86400 }))
  }

  /**
   * Translated events into the shared path; the dialect's drops are counted by reason once the
   * request succeeded (a 429 or 503 is sent again, and would be counted twice).
   */
  async function ingest(c: Context, dialect: Dialect, appConfig: AppConfig, key: string, t: Translated): Promise<void> {
    resultOrRefusal(await core(ingestRequestOf(c, config.TRUST_PROXY, { app: appConfig, key, sentAt: t.sentAt, parts: t.parts })))
    for (const [reason, n] of Object.entries(t.tally.events)) metrics.inc('compat_dropped_events_total', { dialect, reason }, n)
    for (const [reason, n] of Object.entries(t.tally.props)) metrics.inc('compat_dropped_props_total', { dialect, reason }, n)
  }

  /** The compat id key, read once from storage (a failure is a 503: the SDK sends again). */
  const idKey = async (): Promise<Buffer> => {
    try {
      return await deps.salts.compatKey()
    } catch (cause) {
      throw new StorageUnavailableError('cannot read the compat id key from storage', 'failed', { cause })
    }
  }

  const posthogCapture = async (c: Context) => {
    const body = readPostHogBody((await readPayload(c, config.MAX_BODY_BYTES)).json, (k) => c.req.query(k))
    const appConfig = appOfWriteKey(deps.apps, body.key, 'a project token is required: set the PostHog SDK\'s token (api_key) to a Veil write key')
    await ingest(c, 'posthog', appConfig, body.key!, translatePostHog(body, appConfig, deps.now(), await idKey()))
    // PostHog's own answer; posthog-js counts only a 200 as sent.
    return c.json({ status: 1 }, 200)
  }
  for (const path of POSTHOG_CAPTURE) {
    app.post(`/posthog${path}`, posthogCapture)
    app.post(`/posthog${path}/`, posthogCapture)
  }
  // Feature flags and remote config: Veil has none, and says so in the shapes the SDKs parse.
  for (const path of ['/flags', '/decide']) {
    for (const p of [`/posthog${path}`, `/posthog${path}/`]) app.on(['GET', 'POST'], p, (c) => c.json(noFlagsResponse(), 200))
  }
  app.get('/posthog/array/:token/config', (c) => c.json(noFlagsResponse(), 200))

  const segment = async (c: Context) => {
    const type = SEGMENT_PATHS[c.req.param('type') ?? '']
    if (!type) return c.json({ error: `no Segment endpoint ${c.req.path}` }, 404)
    if (type === 'metrics') {
      // analytics.js's own telemetry: accepted so it does not retry, and discarded.
      metrics.inc('compat_dropped_events_total', { dialect: 'segment', reason: 'metrics' })
      return c.json({ success: true }, 200)
    }
    const limit = Math.min(config.MAX_BODY_BYTES, SEGMENT_MAX_BATCH_BYTES)
    const payload = await readPayload(c, limit)
    const body = readSegmentBody(payload.json, type, c.req.header('authorization'), payload.bytes)
    const appConfig = appOfWriteKey(deps.apps, body.key, 'a write key is required: Basic auth with the write key as user name, or "writeKey" in the body')
    await ingest(c, 'segment', appConfig, body.key!, translateSegment(body, appConfig, deps.now(), await idKey()))
    return c.json({ success: true }, 200)
  }
  app.post('/segment/v1/:type', segment)

  // analytics.js loads its settings from `${cdnURL}/v1/projects/<writeKey>/settings`. The host
  // it is sent to comes from PUBLIC_URL, never from the request: a forged Host (cache poisoning)
  // would point every page that loads these settings, raw user ids included, at another host.
  // Without PUBLIC_URL, this machine's loopback address: harmless anywhere else, right for a
  // developer. Never cached by a shared cache either (no-store).
  app.get('/segment/v1/projects/:writeKey/settings', (c) => {
    const writeKey = c.req.param('writeKey')
    appOfWriteKey(deps.apps, writeKey, 'a write key is required')
    const port = deps.listeningPort?.() ?? 0
    const base = config.PUBLIC_URL ?? (port > 0 ? `http://127.0.0.1:${port}` : undefined)
    if (!base) return c.json({ error: 'set PUBLIC_URL to the address browsers reach Veil at (docs/compat.md)' }, 503, { 'Cache-Control': 'no-store' })
    const url = new URL(base)
    const path = url.pathname.replace(/\/$/, '')
    return c.json(segmentSettings(writeKey, `${url.host}${path}/segment/v1`, url.protocol.replace(':', '')), 200, { 'Cache-Control': 'no-store' })
  })

  return app
}
