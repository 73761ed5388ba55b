// Builders of wire batches for tests (EVENTS.md), so each test states only what it varies.
import { randomUUID } from 'node:crypto'
import type { WireBatch, WireEvent } from '../../sdk/core/catalog.ts'
import { lowEntropyId } from '../../sdk/core/uuid.ts'

/**
 * A random v4 id the server keeps. About 4 in 10 million of crypto.randomUUID()'s ids look like
 * a number and are refused (sdk/core/uuid.ts lowEntropyId), as the SDKs' createUuid draws again;
 * a test that sends tens of thousands of events would otherwise see one refused now and then.
 */
export function eventId(): string {
  for (;;) {
    const id = randomUUID()
    if (lowEntropyId(id) === undefined) return id
  }
}

export function event(overrides: Partial<WireEvent> & Record<string, unknown> = {}): WireEvent {
  return { id: eventId(), name: 'login', ts: Date.now(), ...overrides }
}

export function batch(key: string, events: unknown[], extra: Partial<WireBatch> = {}): WireBatch {
  return { key, sent_at: Date.now(), context: { lang: 'de-DE', screen: { w: 1920, h: 1080 }, app_version: '4.2.1' }, ...extra, events: events as WireEvent[] }
}

export const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'

export function post(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', 'User-Agent': CHROME_UA, ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body),
  }
}
