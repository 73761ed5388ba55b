// The write-ahead spool against a real ClickHouse (chDB, real migrations): what was synced is
// stored exactly once whatever point a crash interrupts, a torn tail is skipped and counted, a
// full spool answers 503 with Retry-After. A "crash" here abandons a spool object without
// closing it, and a new one opens the same directory, as a restarted process would.
import { appendFileSync, readdirSync, statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { openSpool, type Spool, type SpoolOptions } from '../../src/storage/spool/spool.ts'
import { encodeRows } from '../../src/storage/rows/rows-format.ts'
import { EVENT_COLUMNS, type EventRow } from '../../src/pipeline/types.ts'
import type { SpoolInsertFn } from '../../src/boot/start-veil.ts'

let clickhouseDown = false
const app = testApp()
let s: TestServer
let insert: SpoolInsertFn

beforeAll(async () => {
  s = await startTestServer({
    apps: [app],
    listen: false,
    env: { WRITE_MODE: 'spool', SPOOL_FEED_DELAY_MS: '0', SPOOL_MAX_BYTES: String(2 ** 20), SPOOL_SEGMENT_BYTES: String(64 * 1024) },
    // The one stand-in: a ClickHouse that refuses inserts, for the "spool is full" case.
    wrapSpoolInsert: (real) => async (body, rows, token, first, format) => {
      if (clickhouseDown) throw new Error('ClickHouse is down')
      return real(body, rows, token, first, format)
    },
  })
  insert = (body, _rows, token, _first, format = 'JSONCompactEachRow') =>
    s.veil.storage.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format, body, settings: { insert_deduplication_token: token } })
})
afterAll(() => s?.stop())
// A crashed spool's files are closed when the test ends (a dead process's are by the kernel):
// left open, they were closed by the garbage collector with a warning (DEP0137).
const abandoned: Spool[] = []
afterEach(async () => {
  for (const a of abandoned.splice(0)) await a.close(10)
})

let n = 0
/** Anonymised rows as the pipeline makes them, with fresh ids. */
function rows(count: number): EventRow[] {
  const now = Date.now()
  return Array.from({ length: count }, () => {
    const id = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`
    return ['spool-test', id, 'login', now, now, 'u', 's', '', 1, {}, {}, '', '', '', '', '', '', 'desktop', '', 0, 0, '', '', 'user'] as EventRow
  })
}

const stored = async (ids: string[]) => {
  const r = await s.query<{ id: string; n: string }>(
    'SELECT toString(event_id) AS id, count() AS n FROM events WHERE toString(event_id) IN {ids:Array(String)} GROUP BY id',
    { ids },
  )
  return Object.fromEntries(r.map((x) => [x.id, Number(x.n)]))
}
const onceEach = (ids: string[]) => Object.fromEntries(ids.map((id) => [id, 1]))

function spoolAt(dir: string, over: Partial<SpoolOptions> = {}): Promise<Spool> {
  return openSpool({ dir, insert, maxBytes: 2 ** 20, segmentBytes: 64 * 1024, insertRows: 10_000, feedDelayMs: 0, retryMs: 3_600_000, ...over })
}

/** A spool whose process dies at the moment given: its insert never returns to it. */
async function crashAt(dir: string, when: 'before insert' | 'after insert', batches: EventRow[][]): Promise<void> {
  let dead = false
  const spool = await spoolAt(dir, {
    feedDelayMs: 50,
    insert: async (body, count, token) => {
      if (dead) return new Promise<void>(() => undefined)
      dead = true
      if (when === 'after insert') await insert(body, count, token)
      return new Promise<void>(() => undefined)
    },
  })
  abandoned.push(spool)
  await Promise.all(batches.map((b) => spool.append(encodeRows(b), b.length)))
  // Past the feed delay, the first insert is attempted and stalls (the process is gone).
  await expect.poll(() => dead, { timeout: 10_000 }).toBe(true)
}

describe('replay after a crash', () => {
  it('stores rows synced but never inserted, once', async () => {
    const dir = tempDir('spool-')
    const a = rows(30)
    const b = rows(20)
    await crashAt(dir, 'before insert', [a, b])
    const restarted = await spoolAt(dir)
    expect(restarted.stats().replayedRows).toBe(50)
    await restarted.drain()
    const ids = [...a, ...b].map((r) => r[1])
    expect(await stored(ids)).toEqual(onceEach(ids))
    await restarted.close(1000)
  })

  it('stores rows once when the crash came after their insert committed, with more rows behind them', async () => {
    const dir = tempDir('spool-')
    const first = rows(40)
    await crashAt(dir, 'after insert', [first])
    const ids = first.map((r) => r[1])
    expect(await stored(ids)).toEqual(onceEach(ids))
    // The restarted spool re-inserts the same range with the same token: a no-op. Rows appended
    // after the restart go to a new segment and are inserted once too.
    const restarted = await spoolAt(dir)
    const later = rows(10)
    await restarted.append(encodeRows(later), later.length)
    await restarted.drain()
    const all = [...ids, ...later.map((r) => r[1])]
    expect(await stored(all)).toEqual(onceEach(all))
    await restarted.close(1000)
    // A second restart re-sends at most the last insert's range, which ClickHouse drops.
    const again = await spoolAt(dir)
    expect(again.stats().replayedRows).toBeLessThanOrEqual(later.length)
    await again.drain()
    expect(await stored(all)).toEqual(onceEach(all))
    await again.close(1000)
  })

  it('deletes segments once their rows are in ClickHouse', async () => {
    const dir = tempDir('spool-')
    const spool = await spoolAt(dir, { segmentBytes: 64 * 1024 })
    // Enough rows for several segments.
    for (let i = 0; i < 20; i++) {
      const r = rows(100)
      await spool.append(encodeRows(r), r.length)
    }
    await spool.drain()
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg')).length).toBe(1)
    await spool.close(1000)
  })
})

describe('a corrupted segment', () => {
  it('skips and counts a torn last frame, and stores the frames before it once', async () => {
    const dir = tempDir('spool-')
    const whole = rows(25)
    const torn = rows(25)
    await crashAt(dir, 'before insert', [whole])
    // A second frame whose write was cut short by the crash: half of it reached the disk.
    const spool2 = await spoolAt(dir, { insert: () => new Promise<void>(() => undefined) })
    abandoned.push(spool2)
    await spool2.append(encodeRows(torn), torn.length)
    const seg = readdirSync(dir).filter((f) => f.endsWith('.seg')).sort().at(-1)!
    const path = join(dir, seg)
    truncateSync(path, Math.floor(statSync(path).size / 2))
    const restarted = await spoolAt(dir)
    expect(restarted.stats()).toMatchObject({ replayedRows: 25, corruptSegments: 1 })
    expect(restarted.stats().corruptBytes).toBeGreaterThan(0)
    await restarted.drain()
    const ids = whole.map((r) => r[1])
    expect(await stored(ids)).toEqual(onceEach(ids))
    expect(await stored(torn.map((r) => r[1]))).toEqual({})
    await restarted.close(1000)
  })

  it('skips garbage after the last whole frame', async () => {
    const dir = tempDir('spool-')
    const good = rows(5)
    await crashAt(dir, 'before insert', [good])
    const seg = readdirSync(dir).filter((f) => f.endsWith('.seg'))[0]!
    appendFileSync(join(dir, seg), Buffer.from('VSP1 not a frame at all'))
    const restarted = await spoolAt(dir)
    expect(restarted.stats()).toMatchObject({ replayedRows: 5, corruptSegments: 1, corruptBytes: 23 })
    await restarted.drain()
    expect(await stored(good.map((r) => r[1]))).toEqual(onceEach(good.map((r) => r[1])))
    await restarted.close(1000)
  })
})

describe('the server in spool mode', () => {
  const send = (events: unknown[]) => s.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, events)))

  const WORDS = Array.from({ length: 60 }, (_, j) => `word${String.fromCharCode(97 + (j % 26))}${String.fromCharCode(97 + Math.floor(j / 26))}`).join(' ')
  it('acknowledges while ClickHouse is down, answers 503 with Retry-After once the spool is full, and stores every acknowledged event once when ClickHouse is back', async () => {
    clickhouseDown = true
    const acked: string[] = []
    let refused: Response | undefined
    for (let i = 0; i < 400 && !refused; i++) {
      // Free text is stored as its terms (PRIVACY.md 17): many distinct words keep the rows large.
      const events = Array.from({ length: 20 }, () => event({ name: 'feedback', props: { text: WORDS } }))
      const r = await send(events)
      if (r.status === 202) acked.push(...events.map((e) => e.id))
      else refused = r
    }
    expect(acked.length).toBeGreaterThan(0)
    expect(refused?.status).toBe(503)
    expect(refused?.headers.get('retry-after')).toBeTruthy()
    clickhouseDown = false
    await s.veil.writer.flush()
    expect(await stored(acked)).toEqual(onceEach(acked))
  })
})
