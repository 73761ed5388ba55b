// The spool's free-space reserve without a statfs before every write: the bytes known free above
// SPOOL_MIN_FREE_BYTES at the last statfs are a budget each frame takes from; the disk is looked
// at again when the budget cannot pay for a frame, after `everyBytes` taken, or after `everyMs`.

export interface DiskBudgetOptions {
  /** Bytes an unprivileged process may still write on the spool's filesystem (statfs). */
  freeBytes(): Promise<number>
  /** The reserve no frame may take the disk below. */
  minFree: number
  /** Bytes taken at most between two looks, so other writers on the disk are seen soon. */
  everyBytes: number
  /** Milliseconds at most between two looks. */
  everyMs: number
  now(): number
}

export interface DiskBudget {
  /**
   * Takes `bytes` for a frame, looking at the disk first when what was known free no longer
   * pays for it (or is too old); false when the frame would take the disk below its reserve.
   */
  take(bytes: number): Promise<boolean>
  /** Forgets what was known free: the next take looks again (after a failed write, say). */
  forget(): void
  /** Whether the last look found the disk at its reserve (and nothing was taken since). */
  low(): boolean
  /** Looks at the disk again if it was at its reserve (the feeder deleted segments). */
  recheck(): Promise<void>
}

export function createDiskBudget(o: DiskBudgetOptions): DiskBudget {
  if (!(o.everyBytes > 0) || !(o.everyMs >= 0)) throw new RangeError('everyBytes must be positive and everyMs not negative')
  // What may still be taken without a look, and until when.
  let left = 0
  let until = 0
  let low = false

  async function look(bytes: number): Promise<boolean> {
    const free = await o.freeBytes()
    low = free - bytes < o.minFree
    if (low) {
      left = 0
      return false
    }
    left = Math.min(free - o.minFree, o.everyBytes) - bytes
    until = o.now() + o.everyMs
    return true
  }

  return {
    take(bytes) {
      if (bytes <= left && o.now() < until) {
        left -= bytes
        return Promise.resolve(true)
      }
      return look(bytes)
    },
    forget() {
      left = 0
    },
    low: () => low,
    async recheck() {
      if (low) low = (await o.freeBytes().catch(() => 0)) < o.minFree
    },
  }
}
