// Event ids (EVENTS.md `events[].id`): a UUID chosen at creation, so a retried event is stored once.

/** The part of Web Crypto this needs; node:crypto's webcrypto and the browser's both fit. */
export interface RandomSource {
  randomUUID?: () => string
  getRandomValues(array: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer>
}

/**
 * A v4 UUID. `crypto.randomUUID` exists only in secure contexts (https, localhost), so plain-http
 * pages fall back to `getRandomValues`, which does not need one.
 */
export function createUuid(c: RandomSource = globalThis.crypto): string {
  if (c.randomUUID) return c.randomUUID()
  const b = c.getRandomValues(new Uint8Array(16))
  b[6] = (b[6] & 15) | 64 // version 4
  b[8] = (b[8] & 63) | 128 // RFC 4122 variant
  let h = ''
  for (let i = 0; i < 16; i++) h += (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + (b[i] + 256).toString(16).slice(1)
  return h
}
