// Room kept on the spool's disk for the feeder (docs/durability.md, "free space that frees
// itself"): a file of zeros taken when the spool opens. With the store on the same disk, an
// insert needs space (chDB reserves at least 1 MiB for a part) before it can free any by letting
// inserted segments be deleted; when the disk is short, the room is given back for that insert.
import { rm, statfs, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const FEEDER_ROOM_FILE = 'feeder-room'

export interface FeederRoom {
  /** Gives the room back to the disk; false if it was not held. */
  release(): Promise<boolean>
  /** Takes the room again once the disk has it to spare beyond `minFree`. */
  restore(minFree: number): Promise<void>
  held(): boolean
  bytes: number
}

/** A failure for want of space: the file system's, or the engine's ("Cannot reserve", NOT_ENOUGH_SPACE). */
export function isNoSpace(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | undefined
  if (err?.code === 'ENOSPC' || err?.code === 'EDQUOT' || err?.code === '243') return true
  return typeof err?.message === 'string' && /Cannot reserve|NOT_ENOUGH_SPACE|No space left on device|ENOSPC/i.test(err.message)
}

export async function openFeederRoom(dir: string, bytes: number): Promise<FeederRoom> {
  const path = join(dir, FEEDER_ROOM_FILE)
  let held = false
  const take = async () => {
    // Zeros, not a sparse file: the blocks are the disk's only once written.
    await writeFile(path, Buffer.alloc(bytes), { flush: true }).then(
      () => (held = true),
      () => rm(path, { force: true }),
    )
  }
  if (bytes > 0) await take()
  return {
    bytes,
    held: () => held,
    async release() {
      if (!held) return false
      await rm(path, { force: true })
      held = false
      return true
    },
    async restore(minFree) {
      if (held || bytes === 0) return
      const s = await statfs(dir).catch(() => undefined)
      if (s && s.bavail * s.bsize - bytes >= minFree) await take()
    },
  }
}
