// Hot-path caches that never hold a raw value (PRIVACY.md 15): entries are keyed by a keyed
// digest of the raw id or User-Agent, under a random key that is replaced, with every entry,
// when the cache is cleared (at each salt period change). inspectCaches() shows what they hold.
import { hash, randomBytes } from 'node:crypto'
import { LRUCache } from 'lru-cache'

export interface KeyedCache<V extends object | string> {
  readonly name: string
  get(raw: string): V | undefined
  set(raw: string, value: V): void
  /** Drops every entry and draws a new digest key: old digests can no longer be matched. */
  clear(): void
}

export interface CacheContents {
  name: string
  keys: string[]
  values: unknown[]
}

const LRU = Symbol('lru')
type Live = KeyedCache<object | string> & { [LRU]: LRUCache<string, object | string> }
// Weak, so that caches of stopped pipelines (tests start many) can be collected.
const live = new Set<WeakRef<Live>>()

/** What every live keyed cache holds now: digests and values, never a raw input. */
export function inspectCaches(): CacheContents[] {
  const out: CacheContents[] = []
  for (const ref of live) {
    const c = ref.deref()
    if (!c) {
      live.delete(ref)
      continue
    }
    out.push({ name: c.name, keys: [...c[LRU].keys()], values: [...c[LRU].values()] })
  }
  return out
}

/**
 * Bounded by count through `maxSize` rather than `max`: with `max`, lru-cache allocates and fills
 * its arrays for every slot when made (15-50 ms for 200 k on the main thread, at an app's first
 * request) and walks them when cleared (60-150 ms at each period change); sized this way its
 * arrays grow with use, and a clear is a new cache (bench/studies/keyed-cache.ts).
 */
const newLru = <V extends object | string>(max: number) => new LRUCache<string, V>({ maxSize: Math.max(1, max), sizeCalculation: () => 1 })

export function createKeyedCache<V extends object | string>(name: string, max: number): KeyedCache<V> {
  let lru = newLru<V>(max)
  let key = randomBytes(32).toString('base64')
  // SHA-256 over a fixed-length random key and the value (a secret-prefix MAC): as a cache key
  // it needs no resistance to length extension, and one-shot hash() costs about half an HMAC.
  const digest = (raw: string) => hash('sha256', key + raw, 'base64')
  const cache = {
    name,
    get [LRU]() {
      return lru
    },
    get: (raw: string) => lru.get(digest(raw)),
    set: (raw: string, value: V) => void lru.set(digest(raw), value),
    clear() {
      // The old entries are left to the collector, not walked here.
      lru = newLru<V>(max)
      key = randomBytes(32).toString('base64')
    },
  }
  live.add(new WeakRef(cache as unknown as Live))
  return cache
}
