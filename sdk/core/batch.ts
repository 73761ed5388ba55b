// Cutting a queue into requests within the SDK limits of catalog.ts (at most
// LIMITS.sdkMaxEventsPerRequest events and LIMITS.sdkMaxRequestBytes bytes per body).

/** Bytes of a string in UTF-8, which is what the body limit counts. */
export function byteLength(s: string): number {
  return new TextEncoder().encode(s).length
}

/**
 * How many events from the head of the queue fit one request, given each event's serialised size
 * and the size of the envelope around them (key, sent_at, context, commas). 0 means the head event
 * alone is too large to ever be sent: the caller drops it and counts it.
 */
export function fitBatch(eventBytes: readonly number[], envelopeBytes: number, maxEvents: number, maxBytes: number): number {
  let total = envelopeBytes
  let n = 0
  while (n < eventBytes.length && n < maxEvents) {
    total += eventBytes[n] + 1 // the comma (or bracket) between events
    if (total > maxBytes) break
    n++
  }
  return n
}
