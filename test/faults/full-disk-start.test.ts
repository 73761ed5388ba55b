// Issue 24, item 8 (the rest): a start after kill -9 in direct mode on a store whose disk is full.
// The start-up repair of the aggregates (F13) needs room for its rewritten parts; on a 100 % full
// tmpfs it hung for 120 s and the next start found agg_breakdowns_daily's metadata damaged. Now
// the start fails fast with one JSON error line naming the cause and the space it needs, writes
// nothing in the store, and the start after space returns repairs and stores every event once.
import { closeSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Child, load, retryAll } from './child.ts'
import { aggregateMismatches, lostAndDuplicated, tmpfsMounts, until } from './support.ts'
import type { WireEvent } from '../../sdk/core/catalog.ts'

const tmpfs = tmpfsMounts('fault-full-start-')
const children: Child[] = []
afterAll(async () => {
  for (const c of children) await c.stop('SIGKILL')
  tmpfs.unmountAll()
})

/** Fills the file system holding `dir` to the last byte: writes until ENOSPC. */
function fill(path: string): void {
  const fd = openSync(path, 'w')
  const block = Buffer.alloc(1 << 20)
  try {
    for (let chunk = block; chunk.length > 0;) {
      try {
        writeSync(fd, chunk)
      } catch {
        chunk = chunk.subarray(0, chunk.length >> 1)
      }
    }
  } finally {
    closeSync(fd)
  }
}

const child = new Child({ WRITE_MODE: 'direct', WRITER_MAX_DELAY_MS: '5' })
const store = join(child.dir, 'clickhouse')
const canMount = tmpfs.canMount && tmpfs.mount(256 * 2 ** 20, store) !== undefined

describe.skipIf(!canMount)('a start after a crash on a full disk (direct mode)', () => {
  it('exits 1 at once naming the space the repair needs, damages nothing, and repairs once space is back: 0 lost', async () => {
    children.push(child)
    const acked = new Set<string>()
    const kept: WireEvent[][] = []
    await child.start()
    const l = load(child, 4)
    await until(() => l.acked.size >= 600, 60_000, 'acknowledged events under load')
    expect(await child.stop('SIGKILL')).toBeNull()
    await l.stop()
    for (const id of l.acked) acked.add(id)
    kept.push(...l.unanswered)

    const filler = join(store, 'filler')
    fill(filler)
    const st = statfsSync(store)
    expect(st.bavail * st.bsize).toBeLessThan(4096 * 2)
    const failed = await child.start().then(() => 'started', (e: unknown) => String(e))
    expect(failed).toMatch(/server exited with 1/)
    const line = child.output.split('\n').find((l) => l.startsWith('{') && l.includes('"level":60'))
    expect(line).toBeDefined()
    const { msg } = JSON.parse(line!) as { msg: string }
    const [, needed, free] = /cannot start: .* needs (\d+) bytes .*; (\d+) bytes .* are free/.exec(msg) ?? []
    expect(Number(needed)).toBeGreaterThan(Number(free))

    rmSync(filler)
    await child.start()
    const repairLine = child.output.split('\n').find((l) => l.includes('aggregates recomputed'))
    const { tables } = JSON.parse(repairLine!) as { tables: string[] }
    await retryAll(child, kept, acked)
    expect(await child.stop('SIGTERM')).toBe(0)
    const s = await child.openStore()
    try {
      const { lost, duplicated } = await lostAndDuplicated(s.client, child.app.id, acked)
      expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 })
      expect(await aggregateMismatches(s.client, child.app.id)).toEqual([])
      // One repair's DELETE per table, by the start that had room: the start on the full disk
      // began none (before, its mutation stayed in the table, failing).
      const rs = await s.client.query({ query: "SELECT count() FROM system.mutations WHERE database = currentDatabase() AND table LIKE 'agg\\_%'", format: 'JSONCompactEachRow' })
      expect(Number((await rs.json<[string]>())[0]![0])).toBe(tables.length)
    } finally {
      await s.close()
    }
  }, 300_000)
})
