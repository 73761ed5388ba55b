// Issue 24, item 6: the spool and the embedded store on one small disk (a real tmpfs, where the
// machine allows mounting one) with SPOOL_MIN_FREE_BYTES at 1 MiB. Once the spool has filled the
// disk to its reserve, the feeder must still insert and delete what it inserted: its feed file
// (file-insert.ts) did not fit in the reserve, so it never freed a byte and the spool refused
// every append for good, while /readyz said only "disk nearly full".
import { statfsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { encodeEventRows } from '../../src/storage/rows/rows-format.ts'
import { expectNoLossNoDuplicateAggregatesAgree, idsOf, rows, tmpfsMounts, until } from './support.ts'

const tmpfs = tmpfsMounts('fault-one-disk-')
const { canMount } = tmpfs
const mountTmpfs = tmpfs.mount

let s: TestServer | undefined
afterAll(async () => {
  await s?.stop()
  tmpfs.unmountAll()
})

const free = (dir: string) => {
  const st = statfsSync(dir)
  return st.bavail * st.bsize
}

// 4 MiB segments: the whole backlog (about 2 MiB) is in the segment appends go to, which only a
// fresh segment lets the feeder delete. The default room, and 3 MiB: with the 1 MiB reserve, room
// for the 2 MiB feed file and the part the engine reserves (1.6 MiB) after it.
describe.skipIf(!canMount)('the spool and the store on one small disk', () => {
  for (const room of [undefined, 3 * 2 ** 20]) it(`feeds and frees the disk once the store is back, though the disk is down to its 1 MiB reserve; /readyz says which (room ${room ?? 'a segment and 1 MiB'} bytes)`, async () => {
    const root = mountTmpfs(160 * 2 ** 20)!
    let storeDown = true
    const app = testApp(`one-disk-${room ?? 'default'}`)
    await s?.stop()
    s = await startTestServer({
      dataDir: root, apps: [app], listen: false,
      env: { WRITE_MODE: 'spool', SPOOL_MIN_FREE_BYTES: String(2 ** 20), SPOOL_FEED_DELAY_MS: '0', SPOOL_SEGMENT_BYTES: String(4 * 2 ** 20), ...(room ? { SPOOL_FEEDER_ROOM_BYTES: String(room) } : {}) },
      // The one stand-in: a ClickHouse that refuses inserts while the spool fills the disk.
      wrapSpoolInsert: (real) => async (body, n, token, first, format) => {
        if (storeDown) throw new Error('ClickHouse is down')
        return real(body, n, token, first, format)
      },
    })
    const spool = s.veil.spool!
    // The rest of the disk taken by something else, so the spool fills it with a few MiB.
    writeFileSync(join(root, 'filler'), Buffer.alloc(Math.max(0, free(root) - 3 * 2 ** 20)))
    const acked: string[] = []
    let refused = 0
    for (let i = 0; i < 200 && refused === 0; i++) {
      const r = rows(200, app.id)
      const { payload, format } = encodeEventRows(r)
      try {
        await spool.append(payload, r.length, format)
        acked.push(...idsOf(r))
      } catch {
        refused++
      }
    }
    expect(refused).toBe(1)
    expect(acked.length).toBeGreaterThan(2000)
    const ready = async () => (await s!.veil.app.request('/readyz')).text()
    await until(async () => (await ready()).includes('cannot free space'), 20_000, '/readyz naming a feeder that cannot free space')

    storeDown = false
    await until(async () => spool.stats().pendingRows === 0, 60_000, 'the spool drained on a disk at its reserve').catch((e: unknown) => {
      throw new Error(`${String(e)}; /readyz: ${spool.health()?.message}; ${free(root)} bytes free`)
    })
    await until(async () => !(await ready()).includes('nearly full'), 20_000, '/readyz ready again')
    // Space came back by itself: appends are accepted again.
    const more = rows(50, app.id)
    const { payload, format } = encodeEventRows(more)
    await spool.append(payload, more.length, format)
    await spool.drain()
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app.id, [...acked, ...idsOf(more)])
  }, 180_000)
})
