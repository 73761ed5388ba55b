// The edge and start-up under faults: a restart with a spool backlog and a store that refuses
// it listens at once, reports not ready, accepts into the spool, and stores everything once
// the store is back (F4, F11); clients that abort mid-body are not server errors (F10); a
// slowloris does not hold up other clients. Real sockets, real chDB.
import { connect } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { openSpool } from '../../src/storage/spool/spool.ts'
import { encodeRows } from '../../src/storage/rows/rows-format.ts'
import { expectNoLossNoDuplicateAggregatesAgree, idsOf, rows, until } from './support.ts'

const servers: TestServer[] = []
afterAll(async () => {
  for (const s of servers) await s.stop()
})

describe('a restart with a backlog and a store that refuses it (F4, F11)', () => {
  it('listens at once, says not ready, accepts into the spool, and stores all once when the store is back', async () => {
    const dataDir = tempDir('fault-f4-')
    const spoolDir = tempDir('fault-f4-spool-')
    const app = testApp('f4-app')
    // The backlog a crashed process left: frames synced, never inserted.
    const backlog = rows(2000, app.id)
    const old = await openSpool({ dir: spoolDir, insert: () => new Promise(() => undefined), maxBytes: 64 * 2 ** 20, segmentBytes: 2 ** 20, insertRows: 500, feedDelayMs: 3_600_000 })
    for (let i = 0; i < backlog.length; i += 200) await old.append(encodeRows(backlog.slice(i, i + 200)), 200)
    await old.close(10) // its first insert starts and never returns: the process died in it
    let storeUp = false
    const s = await startTestServer({
      dataDir, apps: [app],
      env: { WRITE_MODE: 'spool', SPOOL_DIR: spoolDir, SPOOL_FEED_DELAY_MS: '20', SPOOL_MIN_FREE_BYTES: '0' },
      wrapSpoolInsert: (real) => async (body, n, token, first, format) => {
        if (!storeUp) throw new Error('Code: 210. DB::NetException: Connection refused')
        return real(body, n, token, first, format)
      },
    })
    try {
      expect((await fetch(s.url + '/healthz')).status).toBe(200)
      expect(s.veil.spool!.stats().replayedRows).toBe(2000)
      await until(async () => (await fetch(s.url + '/readyz')).status === 503, 15_000, 'readyz to report the failing feeder')
      const ready = (await (await fetch(s.url + '/readyz')).json()) as { reason: string }
      expect(ready.reason).toMatch(/inserts into ClickHouse keep failing/)
      const events = Array.from({ length: 50 }, () => event({ user_id: 'u1' }))
      expect((await fetch(s.url + '/v1/batch', post(batch(app.write_keys[0]!, events)))).status).toBe(202)
      // A client's retry of backlog events is known from the replay: accepted, not spooled again.
      const retry = backlog.slice(0, 10).map((r) => event({ id: r[1], user_id: 'u1' }))
      expect((await fetch(s.url + '/v1/batch', post(batch(app.write_keys[0]!, retry)))).status).toBe(202)
      expect(s.veil.spool!.stats().appendedRows).toBe(50)
      storeUp = true
      await s.veil.writer.flush()
      await until(async () => (await fetch(s.url + '/readyz')).status === 200, 15_000, 'ready again')
      await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, app.id, [...idsOf(backlog), ...events.map((e) => e.id)])
    } finally {
      await s.stop() // chDB holds one data directory per process: the next tests open another
    }
  }, 60_000)
})

describe('clients that misbehave (F10, slowloris)', () => {
  let shared: TestServer | undefined
  const server = async () => {
    if (!shared) servers.push((shared = await startTestServer({ apps: [testApp('edge-app')] })))
    return shared
  }

  it('counts a client that aborts mid-body apart, as no internal error, and keeps serving', async () => {
    const s = await server()
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const sock = connect(s.port, '127.0.0.1', () => {
          sock.write(`POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5000\r\n\r\n{"key":"${s.writeKey}","events":[`)
          setTimeout(() => {
            sock.destroy()
            resolve()
          }, 50)
        })
      })
    }
    await until(() => s.veil.metrics.get('client_aborted_total') === 5, 10_000, 'aborts counted')
    expect(s.veil.metrics.get('internal_errors_total')).toBe(0)
    const e = event()
    expect((await fetch(s.url + '/v1/batch', post(batch(s.writeKey, [e])))).status).toBe(202)
  })

  it('serves other clients while a slowloris trickles its body', async () => {
    const s = await server()
    const slow = connect(s.port, '127.0.0.1')
    await new Promise((r) => slow.once('connect', r))
    slow.write(`POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n`)
    const trickle = setInterval(() => slow.write(' '), 20)
    try {
      const acked: string[] = []
      for (let i = 0; i < 10; i++) {
        const b = Array.from({ length: 10 }, () => event({ user_id: 'u2' }))
        const r = await fetch(s.url + '/v1/batch', post(batch(s.writeKey, b)))
        expect(r.status).toBe(202)
        acked.push(...b.map((x) => x.id))
      }
      // Spool mode (the default): what was acknowledged is read once the spool has fed it.
      await s.drained()
      await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, s.appId, acked)
    } finally {
      clearInterval(trickle)
      slow.destroy()
    }
  })
})
