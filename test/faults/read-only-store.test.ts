// Issue 24, item 8: a start on a store whose file system is read-only. The engine prints the
// cause to stderr as text only; the start's one JSON error line must carry it too. A real child
// process on a real tmpfs remounted read-only (skipped where mounting is not allowed).
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Child } from './child.ts'

const mounts: string[] = []
const children: Child[] = []
afterAll(async () => {
  for (const c of children) await c.stop('SIGKILL')
  for (const m of mounts) execFileSync('umount', ['-l', m])
})
function mountTmpfs(dir: string): boolean {
  mkdirSync(dir, { recursive: true })
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', dir], { stdio: 'ignore' })
    mounts.push(dir)
    return true
  } catch {
    return false
  }
}
const probe = new Child({})
const canMount = mountTmpfs(join(probe.dir, 'clickhouse'))

describe.skipIf(!canMount)('a start on a read-only store', () => {
  it('exits 1 with one JSON error line that names the cause', async () => {
    children.push(probe)
    await probe.start()
    expect(await probe.stop('SIGTERM')).toBe(0)
    execFileSync('mount', ['-o', 'remount,ro', join(probe.dir, 'clickhouse')])
    const failed = await probe.start().then(() => undefined, (e: unknown) => String(e))
    expect(failed).toMatch(/server exited with 1/)
    const line = probe.output.split('\n').find((l) => l.startsWith('{') && l.includes('"level":60'))
    expect(line).toBeDefined()
    const entry = JSON.parse(line!) as { msg: string }
    expect(entry.msg).toMatch(/cannot start: .*(EROFS|read-only file system)/i)
  }, 120_000)
})
