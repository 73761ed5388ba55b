// One temporary directory per test run, removed when the run ends: vitest's globalSetup points
// TMPDIR at it before any test process starts, so every tempDir(), mkdtemp(tmpdir()) and child
// process of the run (fault children, engines, spools, SDK queues) writes below it, including
// those of a test that failed or a process killed with SIGKILL. Without it a run left hundreds
// of data directories behind (a spool takes 128 MiB of feeder room), and a machine that runs the
// suite often filled its disk. A run killed before its teardown (a CI time-out) leaves its
// directory; the next run removes the directories of runs whose process is gone.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Set to the run's directory while a run is on; child processes inherit it with TMPDIR. */
export const RUN_TMP_ENV = 'VEIL_TEST_RUN_TMP'
const PREFIX = 'veil-run-'
const OWNER = 'owner.pid'

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Removes the directories of earlier runs whose vitest process no longer exists. */
export function sweepDeadRuns(base: string): string[] {
  const removed: string[] = []
  for (const name of readdirSync(base)) {
    if (!name.startsWith(PREFIX)) continue
    const dir = join(base, name)
    let pid = NaN
    try {
      pid = Number(readFileSync(join(dir, OWNER), 'utf8'))
    } catch {
      // No owner file: a directory being made this instant, or not a run's; left alone.
      continue
    }
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) {
      rmSync(dir, { recursive: true, force: true })
      removed.push(dir)
    }
  }
  return removed
}

/**
 * vitest globalSetup (listed after engine-template.ts, whose template is a cache kept between
 * runs in the machine's temp directory). Every project lists it; the first call makes the
 * directory and the others share it. Returns the teardown that removes it.
 */
export default function setup(): () => void {
  const existing = process.env[RUN_TMP_ENV]
  if (existing) return () => rmSync(existing, { recursive: true, force: true })
  const base = tmpdir()
  sweepDeadRuns(base)
  const dir = mkdtempSync(join(base, PREFIX))
  writeFileSync(join(dir, OWNER), String(process.pid))
  process.env[RUN_TMP_ENV] = dir
  process.env.TMPDIR = dir
  return () => rmSync(dir, { recursive: true, force: true })
}
