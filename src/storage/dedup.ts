// Drops retried events before they reach storage: a bounded memory of recent event ids, each
// mapped to the commit of the insert that carries it. A retry of an event that is still in
// flight waits for that commit instead of writing it again; one that failed may be written anew.
// Inserts also carry a token derived from their ids, so a replayed insert is a no-op in ClickHouse.
import { IdTable, idBits } from './id-table.ts'

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

/**
 * One generation of the memory: a table of ids and the commits its slots point to (value 1:
 * committed; n >= 2: entries[n - 2]), dropped together when the generation is recycled.
 */
class Generation {
  readonly table: IdTable
  private entries: Entry[] = []
  private last: Entry | undefined
  private lastValue = 0

  constructor(limit: number) {
    this.table = new IdTable(limit)
  }

  lookup(bits: Uint32Array): Entry | undefined {
    const v = this.table.get(bits)
    return v === 0 ? undefined : v === 1 ? COMMITTED : this.entries[v - 2]
  }

  set(bits: Uint32Array, entry: Entry): boolean {
    if (entry !== COMMITTED && entry !== this.last) {
      // track() passes one entry for all its ids: one slot in entries per commit, not per id.
      this.entries.push(entry)
      this.last = entry
      this.lastValue = this.entries.length + 1
    }
    return this.table.set(bits, entry === COMMITTED ? 1 : this.lastValue)
  }

  clear(): void {
    this.table.clear()
    this.entries = []
    this.last = undefined
  }
}

/**
 * Remembers between maxIds / 2 and maxIds ids, in two generations of fixed-size tables: new ids
 * go into the current one; when it is full the older one is emptied and becomes current. No
 * string or object is kept per id (an LRU of strings was 5-7 % of the server's CPU, most of it
 * allocation and collection), and the memory's size is fixed at start.
 */
export function createIdDedup(maxIds: number): IdDedup {
  const enabled = maxIds > 0
  // Halves that add up to maxIds, so at most maxIds ids are remembered.
  let current = new Generation(enabled ? Math.ceil(maxIds / 2) : 0)
  let older = new Generation(enabled ? Math.floor(maxIds / 2) : 0)
  const bits = new Uint32Array(4)
  const lookup = (id: string): Entry | undefined => {
    idBits(id, bits)
    return current.lookup(bits) ?? older.lookup(bits)
  }
  const set = (id: string, entry: Entry) => {
    idBits(id, bits)
    while (!current.set(bits, entry)) {
      older.clear()
      ;[current, older] = [older, current]
    }
  }
  return {
    plan(items, idOf) {
      const fresh: typeof items = []
      let waitFor: Set<Promise<void>> | undefined
      let duplicates = 0
      const inThisBatch = items.length > 1 ? new Set<string>() : undefined
      for (const item of items) {
        const id = idOf(item)
        if (inThisBatch) {
          if (inThisBatch.has(id)) {
            duplicates++
            continue
          }
          inThisBatch.add(id)
        }
        const prior = enabled ? lookup(id) : undefined
        if (prior?.state === 'committed') duplicates++
        else if (prior?.state === 'pending') (waitFor ??= new Set()).add(prior.commit!)
        else fresh.push(item) // new, or its commit failed: write it (again)
      }
      return { fresh, waitFor: waitFor ? [...waitFor] : [], duplicates }
    },
    track(ids, commit) {
      if (!enabled || ids.length === 0) return
      // A later commit of the same id replaces the entry, so an earlier failure cannot undo it.
      const entry: Entry = { commit, state: 'pending' }
      for (const id of ids) set(id, entry)
      commit.then(
        () => (entry.state = 'committed'),
        () => (entry.state = 'failed'),
      )
    },
    remember(ids) {
      if (!enabled) return
      for (const id of ids) set(id, COMMITTED)
    },
    get size() {
      return current.table.count + older.table.count
    },
  }
}
