// F1-F3 on a real filesystem that fills: a 2 MiB tmpfs, where the machine allows mounting one
// (root; otherwise skipped, and spool-disk.test.ts covers the same with an injected disk). The
// kernel's own ENOSPC and short writes, not a stand-in: nothing torn is acknowledged, every
// acknowledged row is stored once after a crash, and the spool heals once space is freed.
import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { openSpool, type Spool, type SpoolOptions } from '../../src/storage/spool/spool.ts'
import { encodeRows } from '../../src/storage/rows/rows-format.ts'
import { crashableFs, expectNoLossNoDuplicateAggregatesAgree, idsOf, rows, storeInsert, tmpfsMounts, until } from './support.ts'

const tmpfs = tmpfsMounts('fault-tmpfs-')
const { canMount } = tmpfs
const mountTmpfs = tmpfs.mount

let s: TestServer
let storeDown = false
beforeAll(async () => {
  if (canMount) s = await startTestServer({ apps: [testApp()], listen: false })
})
afterAll(async () => {
  await s?.stop()
  tmpfs.unmountAll()
})

const insert = storeInsert(() => s.veil.storage, () => storeDown)
const open = (dir: string, minFreeBytes: number, over: Partial<SpoolOptions> = {}) =>
  openSpool({ dir, insert, ...over, maxBytes: 64 * 2 ** 20, segmentBytes: 256 * 1024, insertRows: 10_000, feedDelayMs: 0, retryMs: 50, healMs: 100, minFreeBytes })

async function fill(spool: Spool, app: string): Promise<{ acked: string[]; refused: number }> {
  const acked: string[] = []
  let refused = 0
  for (let i = 0; i < 300 && refused < 20; i++) {
    const r = rows(100, app)
    try {
      await spool.append(encodeRows(r), r.length)
      acked.push(...idsOf(r))
    } catch {
      refused++
    }
  }
  return { acked, refused }
}

describe.skipIf(!canMount)('the spool on a small tmpfs', () => {
  for (const minFree of [0, 128 * 1024]) {
    it(`fills it (reserve ${minFree} bytes), crashes, and stores every acknowledged row once; then heals once space is freed`, async () => {
      const root = mountTmpfs(2 * 2 ** 20)!
      const dir = join(root, 'spool')
      mkdirSync(dir)
      const app = `tmpfs-${minFree}`
      storeDown = true
      const crash = crashableFs()
      const spool = await open(dir, minFree, { fs: crash.fs, insert: storeInsert(() => s.veil.storage, () => storeDown || crash.crashed()) })
      const { acked, refused } = await fill(spool, app)
      expect(acked.length).toBeGreaterThan(0)
      expect(refused).toBeGreaterThan(0)
      // Crash: abandoned as it is, and cut off from the disk and the store, as a dead process is
      // (left running, its feeder raced the restarted spool and deleted segments under it). The
      // restart finds only whole frames behind every 202.
      crash.crash()
      storeDown = false
      const again = await open(dir, minFree)
      expect(again.stats().replayedRows).toBe(acked.length)
      await again.drain()
      await until(() => readdirSync(dir).filter((f) => f.endsWith('.seg')).length <= 1, 10_000, 'inserted segments deleted')
      // Space is back: appends are accepted again without a restart (F2).
      const more = rows(50, app)
      await again.append(encodeRows(more), more.length)
      await again.drain()
      await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app, [...acked, ...idsOf(more)])
      await again.close(1000)
      await spool.close(10)
    }, 120_000)
  }
})
