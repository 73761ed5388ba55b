// The spool directory's lock (src/storage/spool/lock.ts) on the real file system, against real
// processes: a live holder refuses a second opener, a killed one does not, a reused pid or
// another container's stale lock does not either, and release removes only its own lock.
// Here, not in test/unit: it spawns real lock holders and mounts tmpfs (test/support/layers.ts).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { LOCK_FILE, SpoolLockedError, judge, lockSpoolDir, type LockHolder } from '../../src/storage/spool/lock.ts'
import { tempDir } from '../support/server.ts'

const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})

// A small tmpfs where the machine allows mounting one (root), as test/faults/spool-tmpfs.test.ts.
const mounts: string[] = []
function mountTmpfs(bytes: number): string {
  const dir = tempDir('lock-tmpfs-')
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'ignore' })
  mounts.push(dir)
  return dir
}
const canMount = (() => {
  try {
    execFileSync('umount', [mountTmpfs(64 * 1024)])
    mounts.length = 0
    return true
  } catch {
    return false
  }
})()
afterAll(() => {
  for (const m of mounts) execFileSync('umount', ['-l', m])
})

/** Runs `check` while the file at `path` is touched every 40 ms, as a live holder's heartbeat does. */
async function whileTouched(path: string, check: () => Promise<void>): Promise<void> {
  const beat = setInterval(() => {
    const now = new Date()
    utimesSync(path, now, now)
  }, 40)
  try {
    await check()
  } finally {
    clearInterval(beat)
  }
}

/** A real process holding the lock of `dir`; resolves once it has it. */
async function holder(dir: string): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['--import', 'tsx', 'test/support/spool-lock-holder.ts', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(p)
  let out = ''
  await new Promise<void>((resolve, reject) => {
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('locked')) resolve()
    })
    p.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    p.once('exit', (code) => reject(new Error(`lock holder exited with ${code}: ${out}`)))
  })
  return p
}

const kill = (p: ChildProcess) => new Promise<void>((resolve) => {
  p.once('exit', () => resolve())
  p.kill('SIGKILL')
})

const lockOf = (dir: string) => JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder

/** The identity this process writes, with another token: what a lock of "us" looks like. */
async function myIdentity(dir: string): Promise<LockHolder> {
  const lock = await lockSpoolDir(dir)
  const me = lockOf(dir)
  lock.release()
  return me
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('the spool directory lock', () => {
  it('refuses a second opener while another live process holds it, naming the directory and the pid', async () => {
    const dir = tempDir('lock-live-')
    const p = await holder(dir)
    const err = await lockSpoolDir(dir).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SpoolLockedError)
    expect((err as Error).message).toContain(`the spool directory ${dir} is in use by another process (pid ${p.pid},`)
    // The refused opener left the holder's lock as it was, and nothing of its own.
    expect(lockOf(dir).pid).toBe(p.pid)
    expect(readdirSync(dir)).toEqual([LOCK_FILE])
  })

  it('is taken over at once when its holder was killed with SIGKILL', async () => {
    const dir = tempDir('lock-killed-')
    const p = await holder(dir)
    const dead = p.pid
    await kill(p)
    expect(lockOf(dir).pid).toBe(dead) // left behind by the crash
    const lock = await lockSpoolDir(dir)
    expect(lockOf(dir).pid).toBe(process.pid)
    lock.release()
  })

  it('is removed by release, and can be taken again', async () => {
    const dir = tempDir('lock-release-')
    const lock = await lockSpoolDir(dir)
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true)
    lock.release()
    expect(readdirSync(dir)).toEqual([])
    const again = await lockSpoolDir(dir)
    again.release()
  })

  it('is taken over when its pid now belongs to another process (the start time differs)', async () => {
    const dir = tempDir('lock-reused-')
    const p = await holder(dir)
    const held = lockOf(dir)
    expect(judge(held, await myIdentity(tempDir('lock-me-')))).toBe('live')
    // The same pid, alive, but started at another time: a pid reused after the holder died.
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ ...held, started: String(Number(held.started) + 1) }))
    const lock = await lockSpoolDir(dir)
    expect(lockOf(dir).pid).toBe(process.pid)
    lock.release()
    await kill(p)
  })

  it('is taken over when it was left by an earlier run with our own pid (a container pid 1 restarted)', async () => {
    const dir = tempDir('lock-own-pid-')
    const me = await myIdentity(tempDir('lock-me-'))
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ ...me, token: 'earlier-run', started: '1' }))
    const lock = await lockSpoolDir(dir)
    expect(lockOf(dir).token).not.toBe('earlier-run')
    lock.release()
  })

  it('is taken over when it is empty (a power loss) and nobody touches it for staleMs', async () => {
    const dir = tempDir('lock-empty-')
    writeFileSync(join(dir, LOCK_FILE), '')
    const lock = await lockSpoolDir(dir, { staleMs: 300 })
    expect(lockOf(dir).pid).toBe(process.pid)
    lock.release()
  })

  it('refuses while an empty lock is touched by its holder (one taken on a full disk)', async () => {
    const dir = tempDir('lock-empty-live-')
    const path = join(dir, LOCK_FILE)
    writeFileSync(path, '')
    await whileTouched(path, () => expect(lockSpoolDir(dir, { staleMs: 400 })).rejects.toThrow(`the spool directory ${dir} is in use by another process (its lock file is empty)`))
  })

  it('is taken over when it was written before the machine rebooted', async () => {
    const dir = tempDir('lock-reboot-')
    const me = await myIdentity(tempDir('lock-me-'))
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ ...me, pid: 1, boot: 'another-boot', token: 'before-reboot' }))
    const lock = await lockSpoolDir(dir)
    expect(lockOf(dir).token).not.toBe('before-reboot')
    lock.release()
  })

  describe('held from another container (its pid cannot be looked at)', () => {
    const foreign = (me: LockHolder): LockHolder => ({ ...me, pid: 1, pidNs: 'pid:[4026532999]', started: '5', token: 'other-container' })

    it('refuses while the holder touches the lock (its heartbeat), naming the pid', async () => {
      const dir = tempDir('lock-foreign-live-')
      const path = join(dir, LOCK_FILE)
      writeFileSync(path, JSON.stringify(foreign(await myIdentity(tempDir('lock-me-')))))
      await whileTouched(path, () => expect(lockSpoolDir(dir, { staleMs: 400 })).rejects.toThrow(`the spool directory ${dir} is in use by another process (pid 1,`))
      expect(lockOf(dir).token).toBe('other-container')
    })

    it('is taken over once the holder has not touched it for staleMs', async () => {
      const dir = tempDir('lock-foreign-stale-')
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify(foreign(await myIdentity(tempDir('lock-me-')))))
      const lock = await lockSpoolDir(dir, { staleMs: 300 })
      expect(lockOf(dir).pid).toBe(process.pid)
      lock.release()
    })

    it('names the host of a holder on another host', async () => {
      const dir = tempDir('lock-foreign-host-')
      const path = join(dir, LOCK_FILE)
      writeFileSync(path, JSON.stringify({ ...foreign(await myIdentity(tempDir('lock-me-'))), host: `not-${hostname()}` }))
      await whileTouched(path, () => expect(lockSpoolDir(dir, { staleMs: 400 })).rejects.toThrow(`(pid 1 on host not-${hostname()},`))
    })
  })

  it('keeps its own lock fresh, and a release after a takeover leaves the new holder\'s lock (reporting the loss)', async () => {
    const dir = tempDir('lock-lost-')
    const lost: (LockHolder | undefined)[] = []
    const first = await lockSpoolDir(dir, { staleMs: 100, onLost: (h) => lost.push(h) })
    const path = join(dir, LOCK_FILE)
    // The heartbeat touches the file (what an opener in another container watches).
    utimesSync(path, new Date(0), new Date(0))
    await until(() => statSync(path).mtimeMs > 0)
    // Our own pid counts as dead: the second lock of this process takes it over, as a restart would.
    const second = await lockSpoolDir(dir)
    await until(() => lost.length === 1)
    expect(lost[0]!.token).toBe(lockOf(dir).token)
    first.release()
    expect(lockOf(dir).token).toBe(lost[0]!.token)
    second.release()
    expect(existsSync(path)).toBe(false)
  })

  describe.skipIf(!canMount)('on a full disk (a real tmpfs; skipped where mounting one is not allowed)', () => {
    it('is taken over a dead holder and taken afresh though not a byte can be written, and an empty lock is still respected', async () => {
      const root = mountTmpfs(256 * 1024)
      const dir = join(root, 'spool')
      mkdirSync(dir)
      const path = join(dir, LOCK_FILE)
      const p = await holder(dir)
      await kill(p)
      fillUp(root, 'a')
      const taken = await lockSpoolDir(dir, { staleMs: 300 })
      expect(existsSync(path)).toBe(true)
      taken.release()
      expect(existsSync(path)).toBe(false)
      fillUp(root, 'b') // what the dead holder's lock had used, too
      const fresh = await lockSpoolDir(dir, { staleMs: 300 })
      expect(readFileSync(path, 'utf8')).toBe('') // created, but nothing could be written in it
      await expect(lockSpoolDir(dir, { staleMs: 300 })).rejects.toThrow('(its lock file is empty)')
      fresh.release()
      expect(existsSync(path)).toBe(false)
    })
  })
})

/** Writes to `root/fill-NAME` until the filesystem refuses even one more byte. */
function fillUp(root: string, name: string): void {
  for (const size of [64 * 1024, 4096, 1]) {
    const chunk = Buffer.alloc(size)
    try {
      for (;;) appendFileSync(join(root, `fill-${name}`), chunk)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e
    }
  }
}
