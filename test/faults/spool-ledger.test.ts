// Damage to a stopped spool that no segment head can prove (issue 24, item 4, the rest): the last
// segment after a crash (nothing after it seals it) cut at a frame boundary or deleted, and three
// segments in a row deleted (a head seals only the two before it). The `seals` ring and the
// acknowledged mark written with each intent (src/storage/spool/ledger.ts) count them, with their
// rows, at the next start. Real chDB; the crash cuts the spool off its disk (support.ts).
import { appendFileSync, existsSync, readFileSync, readdirSync, rmSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { openSpool, type Spool, type SpoolOptions } from '../../src/storage/spool/spool.ts'
import { eventIdsOf, encodeRows } from '../../src/storage/rows/rows-format.ts'
import { readFrames, type Frame } from '../../src/storage/spool/layout.ts'
import { crashableFs, expectNoLossNoDuplicateAggregatesAgree, idsOf, rows, storeInsert, until } from './support.ts'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer({ apps: [testApp()], listen: false })
})
afterAll(() => s?.stop())

let storeDown = true
const open = (dir: string, over: Partial<SpoolOptions> = {}) =>
  openSpool({ dir, insert: storeInsert(() => s.veil.storage, () => storeDown), maxBytes: 8 * 2 ** 20, segmentBytes: 24 * 1024, insertRows: 10_000, feedDelayMs: 0, retryMs: 20, ...over })

/** 40 frames of 20 rows in several small segments, the store down; resolves once an intent was recorded after the last. */
async function fill(spool: Spool, app: string): Promise<string[]> {
  const acked: string[] = []
  for (let i = 0; i < 40; i++) {
    const r = rows(20, app)
    await spool.append(encodeRows(r), r.length)
    acked.push(...idsOf(r))
  }
  // Each failed attempt recorded its intent first; the second after the last append began after it.
  const failed = spool.stats().failedInserts
  await until(() => spool.stats().failedInserts >= failed + 2, 20_000, 'an insert attempt after the last append')
  return acked
}

const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.seg')).sort()
const framesOf = (path: string): Frame[] => readFrames(readFileSync(path)).frames
const idsIn = (frames: Frame[]) => frames.flatMap((f) => eventIdsOf(f.payload, f.format))

/** Spools, crashes (the spool cut off its disk and the store), and returns what it acknowledged. */
async function spoolThenCrash(dir: string, app: string): Promise<{ acked: string[]; abandoned: Spool }> {
  storeDown = true
  const crash = crashableFs()
  const abandoned = await open(dir, { fs: crash.fs, insert: storeInsert(() => s.veil.storage, () => storeDown || crash.crashed()) })
  const acked = await fill(abandoned, app)
  crash.crash()
  return { acked, abandoned }
}

async function restartAndCheck(dir: string, app: string, acked: string[], lost: string[], segment: string): Promise<void> {
  storeDown = false
  const damage: { segment: string; corruptRows: number }[] = []
  const again = await open(dir, { onDamage: (d) => damage.push(d) })
  expect(again.stats()).toMatchObject({ corruptSegments: 1, corruptRows: lost.length })
  expect(damage).toEqual([expect.objectContaining({ segment: expect.stringContaining(segment), corruptRows: lost.length })])
  await again.drain()
  const gone = new Set(lost)
  await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app, acked.filter((id) => !gone.has(id)))
  await again.close(1000)
}

describe('damage no segment head proves', () => {
  it('counts the last segment after a crash cut at a frame boundary, with its rows, and keeps it', async () => {
    const dir = tempDir('fault-ledger-cut-')
    const app = 'ledger-last-cut'
    const { acked, abandoned } = await spoolThenCrash(dir, app)
    const last = segments(dir).at(-1)!
    const path = join(dir, last)
    const frames = framesOf(path)
    expect(frames.length).toBeGreaterThan(2)
    const keep = Math.floor(frames.length / 2)
    truncateSync(path, frames[keep]!.offset)
    await restartAndCheck(dir, app, acked, idsIn(frames.slice(keep)), `${last} (cut`)
    expect(existsSync(path + '.damaged')).toBe(true)
    await abandoned.close(10)
  })

  it('counts the last segment after a crash deleted, with its rows', async () => {
    const dir = tempDir('fault-ledger-gone-')
    const app = 'ledger-last-gone'
    const { acked, abandoned } = await spoolThenCrash(dir, app)
    const last = segments(dir).at(-1)!
    const lost = idsIn(framesOf(join(dir, last)))
    expect(lost.length).toBeGreaterThan(0)
    rmSync(join(dir, last))
    await restartAndCheck(dir, app, acked, lost, `${last} (missing)`)
    await abandoned.close(10)
  })

  it('counts three segments in a row deleted while stopped, each with its rows', async () => {
    const dir = tempDir('fault-ledger-three-')
    const app = 'ledger-three'
    storeDown = true
    const spool = await open(dir)
    const acked = await fill(spool, app)
    await spool.close(100)
    const segs = segments(dir)
    expect(segs.length).toBeGreaterThanOrEqual(6)
    const deleted = segs.slice(1, 4)
    const lost = deleted.flatMap((f) => idsIn(framesOf(join(dir, f))))
    for (const f of deleted) rmSync(join(dir, f))

    storeDown = false
    const damage: { segment: string; corruptRows: number }[] = []
    const again = await open(dir, { onDamage: (d) => damage.push(d) })
    expect(again.stats()).toMatchObject({ corruptSegments: 3, corruptRows: lost.length })
    expect(damage.map((d) => d.segment).sort()).toEqual(deleted.map((f) => `${f} (missing)`))
    await again.drain()
    const gone = new Set(lost)
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app, acked.filter((id) => !gone.has(id)))
    await again.close(1000)
  })

  it('counts nothing once a crash\'s torn tail is fed and the spool stops cleanly: no record outlives what it proves', async () => {
    const dir = tempDir('fault-ledger-clean-')
    const app = 'ledger-torn-then-clean'
    const { acked, abandoned } = await spoolThenCrash(dir, app)
    // The write a crash cut short: a frame header and nothing after it.
    const last = join(dir, segments(dir).at(-1)!)
    appendFileSync(last, readFileSync(last).subarray(framesOf(last)[0]!.offset, framesOf(last)[0]!.offset + 20))
    storeDown = false
    const first = await open(dir)
    expect(first.stats()).toMatchObject({ corruptRows: 0 })
    await first.drain()
    await first.close(1000)
    const damage: unknown[] = []
    const again = await open(dir, { onDamage: (d) => damage.push(d) })
    expect({ damage, stats: again.stats() }).toMatchObject({ damage: [], stats: { corruptSegments: 0, corruptBytes: 0, replayedRows: 0 } })
    await again.close(1000)
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app, acked)
    await abandoned.close(10)
  })
})
