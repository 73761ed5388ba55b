// A compact memory of the event ids this node stored in the last hours, in front of the
// stored-ids check (sql/0033, stored-ids.ts). recent_event_ids is ordered by id and ids are
// random, so any lookup of thousands of ids reads nearly the whole table: its cost grows with
// the ids of the last two hours, not with the ids looked up (14.4 M ids: about 70 us of CPU per
// fed row, bench/studies/stored-check-cost.ts). Where this node is the only writer (the embedded
// engine), an id it never stored cannot be there: a Bloom filter of the ids it stored answers
// "certainly not" for nearly every id, and only the rest (about 0.1-3 %, plus real retries) is
// looked up, a few granules each.
//
// Split-block Bloom filters (Putze et al.; the layout Parquet and Impala use): one 256-bit
// block per id, 8 bits in it, 12 bits per id for about 0.5 % false positives. Ids are kept
// in buckets of half an hour, so whole buckets expire: a lookup asks every bucket of the window.
import { idBits } from './id-table.ts'
import { uuidText } from '../rows/row-binary.ts'
import { eachEventIdAt } from '../rows/rows-format.ts'

const BITS_PER_ID = 12
const SALT = new Uint32Array([0x47b6137b, 0x44974d91, 0x8824ad5b, 0xa2b7289d, 0x705495c7, 0x2df1424b, 0x9efc4947, 0x5c6bfb31])
/** The smallest filter: 64 KiB, about 43 k ids (where the budget allows no more). */
const MIN_BLOCKS = 2048
/** A half hour's first filter holds at least this many ids (384 KiB): a burst after a quiet spell fills few filters. */
const FIRST_IDS = 262_144

function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

class BlockFilter {
  readonly words: Uint32Array
  readonly blocks: number
  readonly capacity: number
  count = 0
  constructor(capacity: number) {
    this.blocks = Math.max(MIN_BLOCKS, Math.ceil((capacity * BITS_PER_ID) / 256))
    this.capacity = Math.floor((this.blocks * 256) / BITS_PER_ID)
    this.words = new Uint32Array(this.blocks * 8)
  }
  add(h1: number, h2: number): void {
    const base = Math.floor((h1 * this.blocks) / 4294967296) * 8
    for (let i = 0; i < 8; i++) this.words[base + i]! |= 1 << (Math.imul(h2, SALT[i]!) >>> 27)
    this.count++
  }
  has(h1: number, h2: number): boolean {
    const base = Math.floor((h1 * this.blocks) / 4294967296) * 8
    for (let i = 0; i < 8; i++) if ((this.words[base + i]! & (1 << (Math.imul(h2, SALT[i]!) >>> 27))) === 0) return false
    return true
  }
}

interface Bucket {
  /** Start of the bucket's half hour, ms. */
  start: number
  filters: BlockFilter[]
}

export interface StoredIdsFilterOptions {
  /** How long an id is remembered at least: recent_event_ids' lifetime (sql/0033). */
  windowMs: number
  /** The filters' memory, all buckets together; past it, new ids go into full filters (more false positives). */
  maxBytes: number
  now?: () => number
}

export interface StoredIdsFilter {
  /** False until loaded with the ids already in recent_event_ids (markLoaded): until then, look everything up. */
  readonly loaded: boolean
  markLoaded(): void
  /** The ids among `ids` this node may have stored in the window (the others it certainly did not). */
  probable(ids: readonly string[]): string[]
  /** The same, handing the event loop back every few milliseconds (a direct-mode group of thousands of ids). */
  probableYielding(ids: readonly string[]): Promise<string[]>
  /** The same for the rows of a RowBinary events body, ids as text. */
  probableInBody(body: Buffer): string[]
  /**
   * The same as the ids' 16 RowBinary bytes each (for the lookup inside the insert), with every
   * id of the body added in the same walk (before it is stored: a "maybe" for an id that then
   * failed to store only costs a lookup).
   */
  probableThenAdd(body: Buffer): Promise<Buffer>
  add(ids: readonly string[]): void
  /** Adds the ids of a RowBinary events body (yielding every few thousand rows, as probableThenAdd). */
  addBody(body: Buffer): Promise<void>
  /** Ids of `event_id UUID` RowBinary rows (16 bytes each), as recent_event_ids gives them. */
  addIdRows(rows: Buffer): void
  /** The same, handing the event loop back every few milliseconds (the load at start: millions of ids). */
  addIdRowsYielding(rows: Buffer): Promise<void>
  /** Makes room for `ids` more in one filter (before a load of known size: fewer filters to ask). */
  reserve(ids: number): void
  stats(): { ids: number; bytes: number; buckets: number }
}

const BUCKET_MS = 30 * 60_000
/**
 * The event loop is handed back once a walk has held it this long. A count of rows was not a
 * bound: with two hours of ids at 2 k events/s (about seven filters to ask per id) a slice of
 * 8,192 rows took 10-60 ms on a loaded 2-core machine (bench/studies/stored-ids-filter-pauses.ts).
 */
const SLICE_MS = 2
/** Rows walked between two looks at the clock (about 0.1-0.5 ms). */
const CHECK_ROWS = 256

/** The buckets of the window and the bytes their filters take, against the budget. */
interface Buckets {
  list: Bucket[]
  bytes: number
  readonly maxBytes: number
  /** How many half hours are kept: the window's, and the one being filled. */
  readonly keep: number
}

/** The current bucket (made when its half hour begins), after dropping those past the window. */
function currentBucket(s: Buckets, nowMs: number): Bucket {
  const start = Math.floor(nowMs / BUCKET_MS) * BUCKET_MS
  const last = s.list[s.list.length - 1]
  if (last && last.start === start) return last
  const kept = s.list.filter((b) => b.start > start - s.keep * BUCKET_MS)
  // Sized for as many ids as the busiest bucket kept held (the rate is usually steady), half again.
  const expected = Math.max(0, ...kept.map((b) => b.filters.reduce((n, f) => n + f.count, 0)))
  s.list = kept
  s.bytes = kept.reduce((n, b) => n + b.filters.reduce((m, f) => m + f.words.byteLength, 0), 0)
  const b: Bucket = { start, filters: [] }
  grow(s, b, Math.max(FIRST_IDS, Math.ceil(expected * 1.5)))
  s.list.push(b)
  return b
}

function grow(s: Buckets, b: Bucket, capacity: number): void {
  const room = s.maxBytes - s.bytes
  // Past the budget a bucket keeps filling its last filter (more false positives, so more ids
  // looked up), and never goes without one.
  if (b.filters.length > 0 && room < MIN_BLOCKS * 32) return
  const fits = Math.floor((Math.max(room, MIN_BLOCKS * 32) * 8) / BITS_PER_ID)
  const f = new BlockFilter(Math.min(capacity, fits))
  b.filters.push(f)
  s.bytes += f.words.byteLength
}

/**
 * The id last read, as 128 bits in text order, and its two hashes (hashId, hashBytes), computed
 * once for asking and adding alike; the second is odd: a step.
 */
interface IdHash {
  readonly bits: Uint32Array
  h1: number
  h2: number
}

function hashBits(h: IdHash): void {
  h.h1 = fmix(h.bits[0]! ^ Math.imul(h.bits[2]!, 0x9e3779b1))
  h.h2 = fmix(h.bits[1]! ^ Math.imul(h.bits[3]!, 0x85ebca6b)) | 1
}

function hashId(h: IdHash, id: string): void {
  idBits(id, h.bits)
  hashBits(h)
}

/** Hashes the 16 RowBinary bytes of a UUID at `at`, read into `bits` in text order (as idBits does). */
function hashBytes(h: IdHash, buf: Buffer, at: number): void {
  h.bits[0] = buf.readUInt32LE(at + 4)
  h.bits[1] = buf.readUInt32LE(at)
  h.bits[2] = buf.readUInt32LE(at + 12)
  h.bits[3] = buf.readUInt32LE(at + 8)
  hashBits(h)
}

function addHashed(s: Buckets, b: Bucket, h: IdHash): void {
  let f = b.filters[b.filters.length - 1]!
  if (f.count >= f.capacity) {
    grow(s, b, f.capacity * 4) // few filters per bucket: a lookup asks each of them
    f = b.filters[b.filters.length - 1]!
  }
  f.add(h.h1, h.h2)
}

function mayHoldHashed(s: Buckets, h: IdHash): boolean {
  for (let i = s.list.length - 1; i >= 0; i--) for (const f of s.list[i]!.filters) if (f.count > 0 && f.has(h.h1, h.h2)) return true
  return false
}

/** Resolves on the next turn of the event loop, after the I/O and requests waiting for it. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * eachEventIdAt over the whole body, handing the event loop back every SLICE_MS: a 100 k-row
 * feed walked in one go held requests up for 30-50 ms, which showed in their p99.
 */
async function eachIdYielding(body: Buffer, each: (at: number) => void): Promise<void> {
  let at = 0
  let since = performance.now()
  while ((at = eachEventIdAt(body, each, at, CHECK_ROWS)) < body.length) {
    if (performance.now() - since < SLICE_MS) continue
    await nextTurn()
    since = performance.now()
  }
}

export function createStoredIdsFilter(opts: StoredIdsFilterOptions): StoredIdsFilter {
  const now = opts.now ?? Date.now
  const s: Buckets = { list: [], bytes: 0, maxBytes: opts.maxBytes, keep: Math.ceil(opts.windowMs / BUCKET_MS) + 1 }
  const h: IdHash = { bits: new Uint32Array(4), h1: 0, h2: 0 }
  let loaded = false
  const current = (): Bucket => currentBucket(s, now())
  const addIdRows = (rows: Buffer): void => {
    const b = current()
    for (let at = 0; at + 16 <= rows.length; at += 16) {
      hashBytes(h, rows, at)
      addHashed(s, b, h)
    }
  }

  return {
    get loaded() {
      return loaded
    },
    markLoaded() {
      loaded = true
    },
    probable(ids) {
      current()
      const out: string[] = []
      for (const id of ids) {
        hashId(h, id)
        if (mayHoldHashed(s, h)) out.push(id)
      }
      return out
    },
    async probableYielding(ids) {
      current()
      const out: string[] = []
      let since = performance.now()
      for (let i = 0; i < ids.length; i++) {
        hashId(h, ids[i]!)
        if (mayHoldHashed(s, h)) out.push(ids[i]!)
        if ((i & (CHECK_ROWS - 1)) === CHECK_ROWS - 1 && performance.now() - since >= SLICE_MS) {
          await nextTurn()
          since = performance.now()
        }
      }
      return out
    },
    probableInBody(body) {
      current()
      const out: string[] = []
      eachEventIdAt(body, (at) => {
        hashBytes(h, body, at)
        if (mayHoldHashed(s, h)) out.push(uuidText(body, at))
      })
      return out
    },
    async probableThenAdd(body) {
      const b = current()
      const at: number[] = []
      await eachIdYielding(body, (i) => {
        hashBytes(h, body, i)
        if (mayHoldHashed(s, h)) at.push(i)
        addHashed(s, b, h)
      })
      const out = Buffer.allocUnsafe(at.length * 16)
      at.forEach((i, n) => body.copy(out, n * 16, i, i + 16))
      return out
    },
    add(ids) {
      const b = current()
      for (const id of ids) {
        hashId(h, id)
        addHashed(s, b, h)
      }
    },
    async addBody(body) {
      const b = current()
      await eachIdYielding(body, (at) => {
        hashBytes(h, body, at)
        addHashed(s, b, h)
      })
    },
    addIdRows,
    async addIdRowsYielding(rows) {
      let since = performance.now()
      for (let at = 0; at < rows.length; at += 16 * CHECK_ROWS) {
        // The bucket is looked up per piece: a load that crosses a half hour fills the new one.
        addIdRows(rows.subarray(at, at + 16 * CHECK_ROWS))
        if (performance.now() - since >= SLICE_MS) {
          await nextTurn()
          since = performance.now()
        }
      }
    },
    reserve(n) {
      const b = current()
      const f = b.filters[b.filters.length - 1]!
      if (f.capacity - f.count < n) grow(s, b, Math.ceil(n * 1.25))
    },
    stats() {
      return { ids: s.list.reduce((n, b) => n + b.filters.reduce((m, f) => m + f.count, 0), 0), bytes: s.bytes, buckets: s.list.length }
    },
  }
}
