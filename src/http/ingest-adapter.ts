// What every HTTP transport of the ingestion core (src/ingest/ingest-core.ts) shares: the JSON
// body, the app of a write key (401s live here, not in the core), the sender's address and
// headers as the plain values the core takes, and the core's refusals as HTTP errors.
import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'
import type { AppConfig, AppRegistry } from '../apps/apps.ts'
import type { IngestOutcome, IngestPart, IngestRequest, IngestResult } from '../ingest/ingest-request.ts'
import { clientIp, type Cidr } from './client-ip.ts'
import { HttpError, badRequest } from './errors.ts'

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

/**
 * Browsers set Fetch metadata and Origin themselves on fetch and sendBeacon; HTTP libraries do
 * not. Sec-Fetch-Mode alone is no sign: Node's built-in fetch (undici) sends `sec-fetch-mode:
 * cors` on every request, but never Sec-Fetch-Site, which names the requesting page's origin
 * and which browsers send together with Sec-Fetch-Mode (W3C Fetch Metadata).
 */
function sentByBrowser(c: Context): boolean {
  return c.req.header('sec-fetch-site') !== undefined || c.req.header('origin') !== undefined
}

/** The core's request from an HTTP request: the sender's address (socket or trusted proxy) and headers. */
export function ingestRequestOf(
  c: Context,
  trustProxy: readonly Cidr[],
  batch: { app: AppConfig; key: string; sentAt: number | undefined; parts: readonly IngestPart[] },
): IngestRequest {
  return {
    app: batch.app,
    key: batch.key,
    clientIp: clientIp(incomingOf(c)?.socket?.remoteAddress, c.req.header('x-forwarded-for') ?? null, trustProxy),
    userAgent: c.req.header('user-agent'),
    gpc: c.req.header('sec-gpc') === '1',
    sentByBrowser: sentByBrowser(c),
    sentAt: batch.sentAt,
    parts: batch.parts,
  }
}

/** The result, or the refusal as the HTTP error that says it: 429 with Retry-After. */
export function resultOrRefusal(outcome: IngestOutcome): IngestResult {
  if (outcome.refused === 'rate_limited') {
    throw new HttpError(429, outcome.message, { 'Retry-After': String(outcome.retryAfterSeconds) })
  }
  return outcome.result
}
