// One process per spool directory (docs/durability.md), as PostgreSQL's postmaster.pid is for its
// data directory: the spool takes SPOOL_DIR/veil.lock on open, refuses to start while a live
// process holds it, takes over at once a lock whose holder died (kill -9), and removes it on close.
import { randomUUID } from 'node:crypto'
import { closeSync, linkSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { readFile, stat, utimes } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'

export const LOCK_FILE = 'veil.lock'

export class SpoolLockedError extends Error {
  override name = 'SpoolLockedError'
}

/** What the lock file says about its holder; enough to tell whether it still runs. */
export interface LockHolder {
  pid: number
  host: string
  /** /proc/sys/kernel/random/boot_id: another value means the machine rebooted since. */
  boot?: string
  /** The pid namespace (/proc/self/ns/pid): pids are only comparable within one. */
  pidNs?: string
  /** Start time of the process in clock ticks after boot (/proc/PID/stat): a reused pid has another. */
  started?: string
  /** Random per lock: which of several spools (or restarts with the same pid) wrote it. */
  token: string
  since: string
}

export interface SpoolLock {
  /** Removes the lock if it is still this spool's (never another's that took it over). */
  release(): void
}

export interface SpoolLockOptions {
  /**
   * A holder whose pids cannot be looked at (another container or host on the same volume)
   * proves it lives by touching the lock every staleMs / 5; one that does not for staleMs is
   * taken over. Default 10 s, what proper-lockfile uses.
   */
  staleMs?: number
  /** The lock was removed or taken over by another process while held. */
  onLost?(holder: LockHolder | undefined): void
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return undefined
  }
}

/** State and start time of a process (Linux /proc), 'gone' if there is none, undefined without /proc. */
function procStat(pid: number): { state: string; started: string } | 'gone' | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && readText('/proc/self/stat') !== undefined) return 'gone'
    return undefined
  }
  // The command name (field 2) is in parentheses and may hold spaces: fields count after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { state: fields[0] ?? '', started: fields[19] ?? '' }
}

function whoAmI(): LockHolder {
  const own = procStat(process.pid)
  let pidNs: string | undefined
  try {
    pidNs = readlinkSync('/proc/self/ns/pid')
  } catch {
    pidNs = undefined
  }
  return {
    pid: process.pid, host: hostname(), boot: readText('/proc/sys/kernel/random/boot_id'), pidNs,
    started: typeof own === 'object' ? own.started : undefined, token: randomUUID(), since: new Date().toISOString(),
  }
}

function parse(text: string | undefined): LockHolder | undefined {
  try {
    const h = JSON.parse(text ?? '') as LockHolder
    return typeof h.pid === 'number' && typeof h.token === 'string' ? h : undefined
  } catch {
    return undefined
  }
}

/**
 * 'live' or 'dead' where this process can look at the holder's pid (same host, boot and pid
 * namespace); 'foreign' where it cannot, and only the holder's heartbeat can tell.
 */
export function judge(holder: LockHolder | undefined, me: LockHolder): 'live' | 'dead' | 'foreign' {
  // Empty or unreadable: taken on a full disk (below), or emptied by a power loss (it is never
  // fsync'd). Only its heartbeat can tell.
  if (!holder) return 'foreign'
  if (holder.host !== me.host) return 'foreign'
  if (holder.boot && me.boot && holder.boot !== me.boot) return 'dead' // rebooted since
  if (holder.pidNs !== me.pidNs) return 'foreign'
  // Our own pid: the holder is gone and we were given its pid (a container's pid 1 restarted),
  // or it is an earlier spool of this very process (the fault suite's simulated crash).
  if (holder.pid === me.pid) return 'dead'
  const s = procStat(holder.pid)
  if (s === 'gone') return 'dead'
  if (s === undefined) {
    // No /proc (not Linux): whether any process has that pid. EPERM means one does.
    try {
      process.kill(holder.pid, 0)
      return 'live'
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM' ? 'live' : 'dead'
    }
  }
  if (s.state === 'Z' || s.state === 'X') return 'dead' // killed, not yet reaped by its parent
  if (holder.started && s.started !== holder.started) return 'dead' // the pid was reused
  return 'live'
}

/** Watches a foreign holder's heartbeat for staleMs: 'beating', 'replaced' (released or retaken), or 'still'. */
async function watch(path: string, text: string, staleMs: number): Promise<'beating' | 'replaced' | 'still'> {
  const first = await stat(path).catch(() => undefined)
  const end = Date.now() + staleMs
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, Math.min(250, staleMs / 10)))
    const now = await stat(path).catch(() => undefined)
    if (!first || !now || now.ino !== first.ino || readText(path) !== text) return 'replaced'
    if (now.mtimeMs !== first.mtimeMs) return 'beating'
  }
  return 'still'
}

function describe(dir: string, h: LockHolder | undefined, me: LockHolder): string {
  const who = !h ? 'its lock file is empty' : `pid ${h.pid}${h.host === me.host ? '' : ` on host ${h.host}`}, since ${h.since}`
  return `the spool directory ${dir} is in use by another process (${who}). Stop it first, or give each Veil process its own SPOOL_DIR.`
}

const noSpace = (e: unknown) => ['ENOSPC', 'EDQUOT'].includes((e as NodeJS.ErrnoException).code ?? '')

/**
 * On a full disk (a crash while the spool filled it, the case it must restart from) the lock
 * is created empty and then written if a block can be had: creating a file needs no data block.
 * An empty lock is judged by its heartbeat, which needs none either.
 */
function createInPlace(path: string, content: string): void {
  const fd = openSync(path, 'wx')
  try {
    writeSync(fd, content)
  } catch (e) {
    if (!noSpace(e)) throw e
  } finally {
    closeSync(fd)
  }
}

/** Takes the directory's lock or throws SpoolLockedError naming the directory and the holder. */
export async function lockSpoolDir(dir: string, opts: SpoolLockOptions = {}): Promise<SpoolLock> {
  const staleMs = opts.staleMs ?? 10_000
  const me = whoAmI()
  const path = join(dir, LOCK_FILE)
  // Written whole under a private name, then linked: link fails if the lock exists (O_EXCL for
  // a name), and a reader never sees a half-written lock.
  const tmp = join(dir, `${LOCK_FILE}.${me.token}.tmp`)
  const content = JSON.stringify(me) + '\n'
  let full = false
  try {
    writeFileSync(tmp, content)
  } catch (e) {
    if (!noSpace(e)) throw e
    rmSync(tmp, { force: true })
    full = true
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        if (full) createInPlace(path, content)
        else linkSync(tmp, path)
        break
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
        if (attempt >= 10) throw new SpoolLockedError(`the spool directory ${dir} is being locked by other processes at the same time; try again`, { cause: e })
      }
      const text = readText(path)
      if (text === undefined) continue // released meanwhile
      const holder = parse(text)
      let verdict = judge(holder, me)
      if (verdict === 'foreign') {
        const seen = await watch(path, text, staleMs)
        if (seen === 'replaced') continue
        if (seen === 'beating') throw new SpoolLockedError(describe(dir, holder, me))
        verdict = 'dead'
      }
      if (verdict === 'live') throw new SpoolLockedError(describe(dir, holder, me))
      // Remove exactly the dead holder's lock: moved aside first (one mover wins), then checked,
      // since another opener may have replaced it between our read and the move.
      const aside = join(dir, `${LOCK_FILE}.${me.token}.stale`)
      try {
        renameSync(path, aside)
      } catch {
        continue
      }
      if (readText(aside) !== text) {
        try {
          linkSync(aside, path) // a live lock moved by mistake: put back
        } catch {
          // Yet another opener got in: the one we moved finds out by its heartbeat (onLost).
        }
      }
      rmSync(aside, { force: true })
    }
  } finally {
    rmSync(tmp, { force: true })
  }
  return hold(path, me, staleMs, opts.onLost)
}

function hold(path: string, me: LockHolder, staleMs: number, onLost: SpoolLockOptions['onLost']): SpoolLock {
  let lost = false
  // Ours is this file (a takeover makes another) with our token, or without a readable one if
  // the disk was full when it was written.
  const ino = statSync(path).ino
  const ours = (text: string | undefined, at: number | undefined) => at === ino && (parse(text)?.token ?? me.token) === me.token
  // The heartbeat: proof of life for an opener that cannot look at our pid, and our way to find
  // out the lock was taken from us (our event loop blocked for longer than staleMs).
  const beat = setInterval(() => {
    void (async () => {
      // The inode before the content: a takeover in between is then seen with its new holder.
      const at = (await stat(path).catch(() => undefined))?.ino
      const text = await readFile(path, 'utf8').catch(() => undefined)
      if (lost) return
      if (!ours(text, at)) {
        lost = true
        clearInterval(beat)
        onLost?.(parse(text))
        return
      }
      const now = new Date()
      await utimes(path, now, now).catch(() => undefined)
    })()
  }, staleMs / 5)
  beat.unref()
  return {
    release() {
      clearInterval(beat)
      if (lost) return
      lost = true
      let at: number | undefined
      try {
        at = statSync(path).ino
      } catch {
        return
      }
      if (ours(readText(path), at)) rmSync(path, { force: true })
    },
  }
}
