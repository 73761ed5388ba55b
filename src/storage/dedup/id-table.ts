// A fixed-size open-addressing hash table of 128-bit ids (four Uint32 words per slot, linear
// probing) with an Int32 value per slot: the retry memory's store, with no object per id, so the
// garbage collector never walks it. UUIDs are packed exactly; any other string is hashed.
import { randomBytes } from 'node:crypto'
import { HEX_VALUE } from '../rows/row-binary.ts'

/** Keyed per process, so a client cannot pick ids that collide with or crowd another client's. */
const seeds = new Uint32Array(randomBytes(24).buffer)


/**
 * Writes the id's 128 bits into out[0..3]: a UUID (any case) as its value, anything else as a
 * keyed 128-bit hash (a collision with another id is as likely as guessing a random UUID).
 */
export function idBits(id: string, out: Uint32Array): void {
  if (id.length === 36 && packUuid(id, out)) return
  let a = seeds[0]! ^ id.length
  let b = seeds[1]!
  let c = seeds[2]!
  let d = seeds[3]!
  for (let i = 0; i < id.length; i++) {
    const ch = id.charCodeAt(i)
    a = Math.imul(a ^ ch, 0x9e3779b1)
    b = Math.imul(b ^ ch, 0x85ebca6b) ^ (a >>> 15)
    c = Math.imul(c ^ ch, 0xc2b2ae35) ^ (b >>> 13)
    d = Math.imul(d ^ ch, 0x27d4eb2f) ^ (c >>> 16)
  }
  out[0] = fmix(a ^ d)
  out[1] = fmix(b ^ a)
  out[2] = fmix(c ^ b)
  out[3] = fmix(d ^ c)
}

function packUuid(id: string, out: Uint32Array): boolean {
  let word = 0
  let nibbles = 0
  let w = 0
  for (let i = 0; i < 36; i++) {
    const ch = id.charCodeAt(i)
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (ch !== 45) return false // '-'
      continue
    }
    const v = ch < 128 ? HEX_VALUE[ch]! : -1
    if (v < 0) return false
    word = (word << 4) | v
    if (++nibbles === 8) {
      out[w++] = word >>> 0
      word = 0
      nibbles = 0
    }
  }
  return true
}

function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** Values are positive; 0 marks an empty slot. */
export class IdTable {
  readonly limit: number
  count = 0
  private readonly mask: number
  private readonly keys: Uint32Array
  private readonly values: Int32Array

  /** Holds up to `limit` ids; the table is at most half full, so probes stay short. */
  constructor(limit: number) {
    this.limit = limit
    let slots = 2
    while (slots < limit * 2) slots *= 2
    this.mask = slots - 1
    this.keys = new Uint32Array(slots * 4)
    this.values = new Int32Array(slots)
  }

  get full(): boolean {
    return this.count >= this.limit
  }

  /** The value stored for the id in bits[0..3], or 0. */
  get(bits: Uint32Array): number {
    const slot = this.find(bits)
    return slot < 0 ? 0 : this.values[slot]!
  }

  /** Stores or replaces the id's value; false when the id is new and the table is full. */
  set(bits: Uint32Array, value: number): boolean {
    let slot = this.slotOf(bits)
    const { keys, values, mask } = this
    while (values[slot] !== 0) {
      const k = slot * 4
      if (keys[k] === bits[0] && keys[k + 1] === bits[1] && keys[k + 2] === bits[2] && keys[k + 3] === bits[3]) {
        values[slot] = value
        return true
      }
      slot = (slot + 1) & mask
    }
    if (this.full) return false
    const k = slot * 4
    keys[k] = bits[0]!
    keys[k + 1] = bits[1]!
    keys[k + 2] = bits[2]!
    keys[k + 3] = bits[3]!
    values[slot] = value
    this.count++
    return true
  }

  clear(): void {
    // Keys need no clearing: a slot is empty by its value.
    this.values.fill(0)
    this.count = 0
  }

  private find(bits: Uint32Array): number {
    let slot = this.slotOf(bits)
    const { keys, values, mask } = this
    while (values[slot] !== 0) {
      const k = slot * 4
      if (keys[k] === bits[0] && keys[k + 1] === bits[1] && keys[k + 2] === bits[2] && keys[k + 3] === bits[3]) return slot
      slot = (slot + 1) & mask
    }
    return -1
  }

  private slotOf(bits: Uint32Array): number {
    // UUIDv7 ids start with a timestamp and v4 ones have fixed version bits: mix every word.
    let h = bits[0]! ^ seeds[4]!
    h = Math.imul(h ^ bits[1]!, 0x9e3779b1)
    h = Math.imul(h ^ bits[2]!, 0x85ebca6b)
    h = Math.imul(h ^ bits[3]! ^ seeds[5]!, 0xc2b2ae35)
    return (h ^ (h >>> 15)) & this.mask
  }
}
