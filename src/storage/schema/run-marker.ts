// The run marker in DATA_DIR (F13, docs/durability.md): a file that says "running", refreshed
// while the node runs and removed by a clean stop, so a start finds out that the run before it
// crashed and how far back the aggregates must be repaired (repair-aggregates.ts).
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const MARKER = 'veil-running.json'

export interface RunMarker {
  /**
   * Set when a run before this one did not stop cleanly and its aggregates were not repaired
   * since: when it was last alive (a start that failed before repairing keeps the first crash's).
   */
  crashedAliveAt?: number
  /** The repair is done (or none is due in this mode): later beats no longer carry the crash. */
  repaired(): void
  /** Marks a clean stop. */
  clear(): void
}

interface MarkerFile {
  pid: number
  aliveAt: number
  /** The crash a start found and has not repaired yet. */
  repairFrom?: number
}

/** When the crashed run was last alive; a marker that cannot be read is a crash all the same. */
function readCrash(path: string): number | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return undefined // no marker: the last run stopped cleanly, or this is the first
  }
  try {
    const m = JSON.parse(text) as Partial<MarkerFile>
    const at = Number(m.repairFrom ?? m.aliveAt)
    if (Number.isFinite(at) && at > 0) return at
  } catch {
    // Emptied or torn (written on a full disk by an earlier version): its time says when.
  }
  return Math.round(statSync(path).mtimeMs)
}

/**
 * Opens the marker of `dir`, refreshed every `beatMs`. Each beat replaces the file whole (a
 * temporary file renamed over it): on a full disk the beat fails and the previous marker stays,
 * where an in-place write left an empty file that the next start took for a clean stop.
 */
export function openRunMarker(dir: string, beatMs = 10_000): RunMarker {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, MARKER)
  const crashedAliveAt = readCrash(path)
  let repairFrom = crashedAliveAt
  const beat = () => {
    const tmp = `${path}.tmp`
    try {
      writeFileSync(tmp, JSON.stringify({ pid: process.pid, aliveAt: Date.now(), ...(repairFrom !== undefined ? { repairFrom } : {}) } satisfies MarkerFile))
      renameSync(tmp, path)
    } catch {
      // The old marker stays as it was; a half-written temporary file goes.
      try {
        rmSync(tmp, { force: true })
      } catch {
        // Not a file we made: left alone.
      }
    }
  }
  beat()
  const timer = setInterval(beat, beatMs)
  timer.unref()
  return {
    crashedAliveAt,
    repaired() {
      if (repairFrom === undefined) return
      repairFrom = undefined
      beat()
    },
    clear() {
      clearInterval(timer)
      rmSync(path, { force: true })
    },
  }
}
