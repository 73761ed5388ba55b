// Drops retried events before they reach storage: a bounded memory of recent event ids, each
// mapped to the commit of the insert that carries it. A retry of an event that is still in
// flight waits for that commit instead of writing it again; one that failed may be written anew.
// Inserts also carry a token derived from their ids, so a replayed insert is a no-op in ClickHouse.
import { LRUCache } from 'lru-cache'

export interface DedupPlan<T> {
  /** Items to write now. */
  fresh: T[]
  /** Commits of earlier requests that carry some of these ids. */
  waitFor: Promise<void>[]
  /** Items already committed: accepted again, stored once. */
  duplicates: number
}

export interface IdDedup {
  plan<T>(items: T[], idOf: (item: T) => string): DedupPlan<T>
  /** Ties the ids to the commit that stores them; a failed commit forgets them. */
  track(ids: string[], commit: Promise<void>): void
  remember(ids: Iterable<string>): void
  readonly size: number
}

/** One per commit, shared by all its ids: settling a commit touches one object, not every id. */
interface Entry {
  commit: Promise<void> | undefined
  state: 'pending' | 'committed' | 'failed'
}

const COMMITTED: Entry = { commit: undefined, state: 'committed' }

export function createIdDedup(maxIds: number): IdDedup {
  const seen = new LRUCache<string, Entry>({ max: Math.max(1, maxIds) })
  const enabled = maxIds > 0
  return {
    plan(items, idOf) {
      const fresh: typeof items = []
      const waitFor = new Set<Promise<void>>()
      let duplicates = 0
      const inThisBatch = new Set<string>()
      for (const item of items) {
        const id = idOf(item)
        if (inThisBatch.has(id)) {
          duplicates++
          continue
        }
        inThisBatch.add(id)
        const prior = enabled ? seen.get(id) : undefined
        if (prior?.state === 'committed') duplicates++
        else if (prior?.state === 'pending') waitFor.add(prior.commit!)
        else fresh.push(item) // new, or its commit failed: write it (again)
      }
      return { fresh, waitFor: [...waitFor], duplicates }
    },
    track(ids, commit) {
      if (!enabled || ids.length === 0) return
      // A later commit of the same id replaces the entry, so an earlier failure cannot undo it.
      const entry: Entry = { commit, state: 'pending' }
      for (const id of ids) seen.set(id, entry)
      commit.then(
        () => (entry.state = 'committed'),
        () => (entry.state = 'failed'),
      )
    },
    remember(ids) {
      if (!enabled) return
      for (const id of ids) seen.set(id, COMMITTED)
    },
    get size() {
      return seen.size
    },
  }
}
