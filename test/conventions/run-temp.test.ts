// Every test run writes below its own temp directory, removed when the run ends
// (test/support/run-temp.ts): a suite run often on one machine must not fill its disk.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import config from '../../vitest.config.ts'
import releaseConfig from '../../vitest.release.config.ts'
import { RUN_TMP_ENV, sweepDeadRuns } from '../support/run-temp.ts'

/** A pid that no process has: the highest free one below the kernel's usual limit. */
function deadPid(): number {
  for (let pid = 4_194_000; pid > 100_000; pid--) {
    try {
      process.kill(pid, 0)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return pid
    }
  }
  throw new Error('no free pid found')
}

describe('the run temp directory', () => {
  it('is where this test process writes its temporary files', () => {
    const run = process.env[RUN_TMP_ENV]
    expect(run, 'set by the globalSetup').toMatch(/veil-run-/)
    expect(tmpdir()).toBe(run)
  })

  it('is set up by every project of both configs', () => {
    const projects = (config.test?.projects ?? []) as { test?: { name?: string; globalSetup?: string | string[] } }[]
    expect(projects.length).toBeGreaterThan(3)
    for (const p of [...projects, { test: releaseConfig.test }]) {
      expect([p.test?.globalSetup].flat(), `project ${p.test?.name}`).toContain('test/support/run-temp.ts')
    }
  })

  it('removes the directories of runs whose process is gone, and keeps those of live runs', () => {
    const base = mkdtempSync(join(dirname(process.env[RUN_TMP_ENV] ?? tmpdir()), 'sweep-'))
    try {
      const dead = join(base, 'veil-run-dead')
      const live = join(base, 'veil-run-live')
      const unowned = join(base, 'veil-run-new')
      for (const d of [dead, live, unowned]) mkdirSync(join(d, 'clickhouse'), { recursive: true })
      writeFileSync(join(dead, 'owner.pid'), String(deadPid()))
      writeFileSync(join(live, 'owner.pid'), String(process.pid))
      expect(sweepDeadRuns(base)).toEqual([dead])
      expect([existsSync(dead), existsSync(live), existsSync(unowned)]).toEqual([false, true, true])
    } finally {
      rmSync(base, { recursive: true, force: true })
    }
  })
})
