// Ids leave the page's memory only as SHA-256 hashes (PRIVACY.md 16): events keep raw ids in
// memory, and are written to localStorage and sent through `wire`, which puts the hash in their
// place. Web Crypto is asynchronous and exists only in secure contexts (https, localhost); until
// an id is hashed, and on plain-http pages always, it is left out rather than written raw.
import type { WireEvent } from '../core/catalog.ts'

/** The hash of each raw id seen, and of each stored hash to itself. */
const H: Record<string, string> = {}
let ready: Promise<unknown> = Promise.resolve()

/** Starts hashing `id`; `then` runs once the hash is known (to re-save the store). */
export function hash(id: string | undefined, then: () => void): void {
  const c = crypto.subtle
  if (id && !(id in H) && c) {
    H[id] = ''
    ready = Promise.all([
      ready,
      c.digest('SHA-256', new TextEncoder().encode(id)).then((b) => {
        H[id] = Array.from(new Uint8Array(b), (x) => (x + 256).toString(16).slice(1)).join('')
        then()
      }),
    ])
  }
}

/** Settles once every id seen so far is hashed. */
export const hashed = (): Promise<unknown> => ready

/** Ids of a stored event are hashes already: they stand for themselves. */
export function known(e: WireEvent): void {
  for (const h of [e.user_id, e.org_id]) if (h) H[h] = h
}

/** An event as it may leave memory: ids replaced by their hashes (absent until hashed). */
export function wire(e: WireEvent): WireEvent {
  return { ...e, user_id: (e.user_id && H[e.user_id]) || undefined, org_id: (e.org_id && H[e.org_id]) || undefined }
}
