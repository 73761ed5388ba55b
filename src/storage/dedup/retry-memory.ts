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
  const lookup = (): Entry | undefined => current.lookup(bits) ?? older.lookup(bits)
  const set = (entry: Entry) => {
    while (!current.set(bits, entry)) {
      older.clear()
      ;[current, older] = [older, current]
    }
  }
  // Repeats within one batch, found by the ids' bits in a small table kept between calls (value:
  // the index + 1 of the first item with those bits) instead of a Set of strings per request.
  let seen = new IdTable(64)
  // The bits of the last plan's fresh ids, in order: track() of those same ids (the batch route
  // calls it right after plan) reuses them instead of reading every id again.
  let freshIds: string[] = []
  let freshBits = new Uint32Array(64 * 4)
  return {
    plan(items, idOf) {
      const fresh: typeof items = []
      let waitFor: Set<Promise<void>> | undefined
      let duplicates = 0
      if (items.length > seen.limit) seen = new IdTable(items.length)
      if (items.length * 4 > freshBits.length) freshBits = new Uint32Array(items.length * 4)
      const ids: string[] = []
      // The same UUID in another case has the same bits: such a variant is told apart by its
      // text, as a Set of strings would (rare enough for a Set of its own).
      let variants: Set<string> | undefined
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!
        const id = idOf(item)
        idBits(id, bits)
        if (items.length > 1) {
          const first = seen.get(bits)
          if (first === 0) seen.set(bits, i + 1)
          else if (idOf(items[first - 1]!) === id) {
            duplicates++
            continue
          } else if ((variants ??= new Set()).has(id)) {
            duplicates++
            continue
          } else variants.add(id)
        }
        const prior = enabled ? lookup() : undefined
        if (prior?.state === 'committed') duplicates++
        else if (prior?.state === 'pending') (waitFor ??= new Set()).add(prior.commit!)
        else {
          // new, or its commit failed: write it (again)
          freshBits.set(bits, ids.length * 4)
          ids.push(id)
          fresh.push(item)
        }
      }
      if (items.length > 1) seen.clear()
      freshIds = ids
      return { fresh, waitFor: waitFor ? [...waitFor] : [], duplicates }
    },
    track(ids, commit) {
      if (!enabled || ids.length === 0) return
      // A later commit of the same id replaces the entry, so an earlier failure cannot undo it.
      const entry: Entry = { commit, state: 'pending' }
      let known = ids.length === freshIds.length
      for (let i = 0; known && i < ids.length; i++) known = ids[i] === freshIds[i]
      for (let i = 0; i < ids.length; i++) {
        if (known) {
          const k = i * 4
          bits[0] = freshBits[k]!
          bits[1] = freshBits[k + 1]!
          bits[2] = freshBits[k + 2]!
          bits[3] = freshBits[k + 3]!
        } else idBits(ids[i]!, bits)
        set(entry)
      }
      freshIds = []
      commit.then(
        () => (entry.state = 'committed'),
        () => (entry.state = 'failed'),
      )
    },
    remember(ids) {
      if (!enabled) return
      for (const id of ids) {
        idBits(id, bits)
        set(COMMITTED)
      }
    },
    get size() {
      return current.table.count + older.table.count
    },
  }
}
