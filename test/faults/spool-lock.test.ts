// One Veil process per SPOOL_DIR (docs/durability.md), with real server processes: a second
// server given the same spool directory refuses to start, naming it and the holder's pid, and
// the first goes on and loses nothing; a lock left by kill -9 does not block the restart; a
// clean stop removes it.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Child, makeBatch } from './child.ts'
import { lostAndDuplicated } from './support.ts'
import { tempDir } from '../support/server.ts'
import { LOCK_FILE } from '../../src/storage/spool/lock.ts'

const children: Child[] = []
afterAll(async () => {
  for (const c of children) await c.stop('SIGKILL')
})

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

describe('two servers on one SPOOL_DIR', () => {
  it('refuses the second with a clear error and exit 1; the first keeps every acknowledged event; kill -9 does not block a restart', async () => {
    const spoolDir = tempDir('fault-lock-spool-')
    const env = { WRITE_MODE: 'spool', SPOOL_DIR: spoolDir, SPOOL_FEED_DELAY_MS: '20', SPOOL_MIN_FREE_BYTES: '0' }
    const first = new Child(env)
    const second = new Child(env) // its own DATA_DIR: only the spool directory is shared
    children.push(first, second)
    const acked: string[] = []
    const send = async (c: Child) => {
      const b = makeBatch(30)
      expect((await c.send(b)).status).toBe(202)
      acked.push(...b.map((e) => e.id))
    }

    await first.start()
    await send(first)
    const holder = first.proc!.pid!
    await expect(second.start()).rejects.toThrow(
      new RegExp(`server exited with 1: [\\s\\S]*"level":60,[^\\n]*"msg":"cannot start: the spool directory ${escape(spoolDir)} is in use by another process \\(pid ${holder},`),
    )
    expect(second.output).not.toMatch(/\n\s+at /) // a log line, not a stack trace on stderr
    await send(first)

    // A crash leaves the lock behind; the restart on the same directory takes it over.
    expect(await first.stop('SIGKILL')).toBeNull()
    expect(existsSync(join(spoolDir, LOCK_FILE))).toBe(true)
    await first.start()
    await send(first)
    expect(await first.stop('SIGTERM')).toBe(0)
    expect(existsSync(join(spoolDir, LOCK_FILE))).toBe(false)

    const store = await first.openStore()
    try {
      const { lost, duplicated } = await lostAndDuplicated(store.client, first.app.id, acked)
      expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 })
    } finally {
      await store.close()
    }
  })
})
