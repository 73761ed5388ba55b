// Clocks that disagree (issue 24, item 2): Node's clock against the engine's, which tests cannot
// move. Node's is moved by an injected `now`, by replacing Date in this process, or in a real
// server process by test/support/shift-clock.mjs. A skew the server cannot trust is a 503 the
// client retries, never a 202 the TTL then deletes or a retry stored twice; the spool's feeder
// never stalls on a wall clock set back.
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { Child, makeBatch } from './child.ts'
import { expectNoLossNoDuplicateAggregatesAgree, lostAndDuplicated, until } from './support.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const RealDate = globalThis.Date
const servers: TestServer[] = []
const stoppedAll = async () => {
  for (const s of servers.splice(0)) await s.stop()
}

/** Moves this process's Date (and with it the spool's wall-clock reads) by `ms`; timers keep running. */
function shiftDate(ms: number): void {
  class ShiftedDate extends RealDate {
    constructor(...args: ConstructorParameters<typeof Date> | []) {
      if (args.length === 0) super(RealDate.now() + ms)
      else super(...(args as ConstructorParameters<typeof Date>))
    }
    static override now() {
      return RealDate.now() + ms
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor
}
afterEach(async () => {
  globalThis.Date = RealDate
  // chDB binds one data directory per process: each test's server goes before the next opens one.
  await stoppedAll()
})


describe('a wall clock set back a day under the spool', () => {
  it('never stalls the feeder, and the oldest unfed frame reads its true age while rows wait', async () => {
    const app = testApp('clock-feed')
    const s = await startTestServer({ apps: [app], listen: false, env: { WRITE_MODE: 'spool', SPOOL_FEED_DELAY_MS: '1500', SPOOL_MIN_FREE_BYTES: '0' } })
    servers.push(s)
    const events = Array.from({ length: 50 }, () => event({ user_id: 'u1' }))
    expect((await s.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, events)))).status).toBe(202)
    shiftDate(-DAY)
    const waiting = s.veil.spool!.stats()
    expect(waiting.pendingRows).toBe(50)
    expect(waiting.oldestUnfedMs).toBeGreaterThan(0)
    const metrics = await s.veil.metrics.render()
    expect(Number(/^veil_spool_oldest_unfed_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0)
    // The feed delay is 1.5 s; on the wall clock the feeder waited a day.
    await until(() => s.veil.spool!.stats().pendingRows === 0, 20_000, 'the spool to feed its rows')
    globalThis.Date = RealDate
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app.id, events.map((e) => e.id))
  }, 60_000)
})

describe.each(['direct', 'spool'] as const)("Node's clock 3 h behind, then corrected, then client retries (%s)", (mode) => {
  it('answers 503 with the reason while the clocks disagree, and stores each retried event once', async () => {
    const app = testApp(`clock-3h-${mode}`)
    let offset = 0
    const s = await startTestServer({
      apps: [app], listen: false, now: () => Date.now() + offset,
      env: { WRITE_MODE: mode, SPOOL_FEED_DELAY_MS: '0', SPOOL_MIN_FREE_BYTES: '0', CLOCK_MAX_SKEW_SECONDS: '300' },
    })
    servers.push(s)
    const send = (b: unknown) => s.veil.app.request('/v1/batch', post(b))
    const acked: string[] = []
    const before = Array.from({ length: 100 }, () => event({ user_id: 'u1' }))
    expect((await send(batch(app.write_keys[0]!, before))).status).toBe(202)
    acked.push(...before.map((e) => e.id))

    offset = -3 * HOUR
    // 1,000 events sent while the clock is 3 h behind: none is answered 202.
    const kept = Array.from({ length: 10 }, () => Array.from({ length: 100 }, () => event({ user_id: 'u2', ts: Date.now() - 3 * HOUR })))
    for (const events of kept) {
      const res = await send(batch(app.write_keys[0]!, events, { sent_at: Date.now() - 3 * HOUR }))
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
      expect(((await res.json()) as { error: string }).error).toMatch(/clock is 3\.0 hours behind the store's/)
    }
    const ready = await s.veil.app.request('/readyz')
    expect(ready.status).toBe(503)
    expect(((await ready.json()) as { reason: string }).reason).toMatch(/clock is 3\.0 hours behind/)
    expect(Number(/^veil_clock_skew_seconds (\S+)$/m.exec(await s.veil.metrics.render())?.[1])).toBeLessThan(-3 * 3600 + 60)
    expect(s.veil.metrics.get('unavailable_total', { reason: 'clock' })).toBe(10)

    offset = 0
    // The client retries what it kept; the check trusts the corrected clock within seconds.
    await until(async () => (await s.veil.app.request('/readyz')).status === 200, 20_000, 'the clocks to agree again')
    for (const events of kept) {
      for (let attempt = 0; attempt < 2; attempt++) {
        const res = await send(batch(app.write_keys[0]!, events))
        expect(res.status).toBe(202)
      }
      acked.push(...events.map((e) => e.id))
    }
    await s.veil.writer.flush()
    await until(async () => (await lostAndDuplicated(s.veil.storage.client, app.id, acked)).lost === 0, 20_000, 'every event stored')
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app.id, acked)
  }, 60_000)
})

describe("Node's clock 25 months behind, in a real server process", () => {
  const shiftClock = fileURLToPath(new URL('../support/shift-clock.mjs', import.meta.url))
  const child = new Child({ WRITE_MODE: 'spool', SPOOL_FEED_DELAY_MS: '50' })
  afterAll(() => child.stop('SIGKILL'))

  it('answers every batch 503 and /readyz with the reason; after the clock is corrected the retries are stored once and kept', async () => {
    await child.start({ NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${shiftClock}`.trim(), VEIL_TEST_CLOCK_SHIFT_DAYS: String(-25 * 30.5) })
    const kept = Array.from({ length: 20 }, () => makeBatch(50))
    for (const b of kept) {
      const res = await child.send(b)
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
    }
    const ready = await fetch(child.url + '/readyz')
    expect(ready.status).toBe(503)
    expect(((await ready.json()) as { reason: string }).reason).toMatch(/clock is 762\.\d days behind the store's/)
    const metrics = await child.metrics()
    expect(Number(/^veil_clock_skew_seconds (\S+)$/m.exec(metrics)?.[1])).toBeLessThan(-760 * 86_400)
    expect(await child.stop('SIGTERM')).toBe(0)

    await child.start()
    const acked: string[] = []
    for (const b of kept) {
      expect((await child.send(b)).status).toBe(202)
      acked.push(...b.map((e) => e.id))
    }
    expect(await child.stop('SIGTERM')).toBe(0)
    const store = await child.openStore()
    try {
      // Stamped with the true time: the 2-year TTL keeps them (a merge with TTLs applied).
      await store.client.command({ query: 'OPTIMIZE TABLE events FINAL' })
      await expectNoLossNoDuplicateAggregatesAgree(store.client, child.app.id, acked)
    } finally {
      await store.close()
    }
  }, 120_000)
})

