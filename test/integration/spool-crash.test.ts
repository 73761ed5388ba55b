// WRITE_MODE=spool in real processes: events acknowledged with 202 and then lost with the
// process (kill -9, nothing flushed) are in ClickHouse exactly once after the next start,
// retries of them included; and so is every event acknowledged while the process was killed
// under load.
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir, testApp } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { openStorage } from '../../src/storage/clickhouse/client.ts'

const dir = tempDir('spool-crash-')
const app = testApp()
writeFileSync(join(dir, 'apps.json'), JSON.stringify({ apps: [app] }))
const port = 20_000 + Math.floor(Math.random() * 20_000)
const url = `http://127.0.0.1:${port}`
let child: ChildProcess | undefined

async function start(env: Record<string, string> = {}): Promise<void> {
  const p = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(dir, 'clickhouse'), APPS_FILE: join(dir, 'apps.json'),
      LOG_LEVEL: 'silent', WRITE_MODE: 'spool', ...env,
    },
    stdio: 'ignore',
  })
  child = p
  for (let i = 0; i < 600; i++) {
    if (p.exitCode !== null) throw new Error(`server exited with ${p.exitCode}`)
    if (await fetch(url + '/healthz').then((r) => r.ok, () => false)) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('server did not start')
}

async function stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  const p = child!
  child = undefined
  if (p.exitCode !== null) return
  await new Promise((r) => {
    p.once('exit', r)
    p.kill(signal)
  })
}

afterAll(async () => {
  if (child) await stop('SIGKILL')
})

const send = (events: unknown[]) => fetch(url + '/v1/batch', post(batch(app.write_keys[0]!, events)))

/** Counts per id, read after the server has exited (chDB binds one process per directory). */
async function countsOf(ids: string[]): Promise<Map<string, number>> {
  const storage = await openStorage({ DATA_DIR: join(dir, 'clickhouse'), CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: '', CLICKHOUSE_DATABASE: 'veil' })
  try {
    const rs = await storage.client.query({
      query: 'SELECT toString(event_id) AS id, count() AS n FROM events WHERE toString(event_id) IN {ids:Array(String)} GROUP BY id',
      query_params: { ids },
      format: 'JSONEachRow',
    })
    return new Map((await rs.json<{ id: string; n: string }>()).map((r) => [r.id, Number(r.n)]))
  } finally {
    await storage.close()
  }
}

describe('kill -9 in spool mode', () => {
  const acked: string[] = []
  const retried: string[] = []

  it('acknowledges events that only the spool holds', async () => {
    // The feeder waits ten minutes for company: at the kill nothing is in ClickHouse yet.
    await start({ SPOOL_FEED_DELAY_MS: '600000', SPOOL_INSERT_ROWS: '1000000' })
    for (let i = 0; i < 5; i++) {
      const events = Array.from({ length: 10 }, () => event())
      const r = await send(events)
      expect(r.status).toBe(202)
      acked.push(...events.map((e) => e.id))
      if (i === 0) retried.push(...events.map((e) => e.id))
    }
    await stop('SIGKILL')
  }, 120_000)

  it('stores them after a restart, a retry of them included, each once', async () => {
    await start()
    const again = await send(retried.map((id) => event({ id })))
    expect(again.status).toBe(202)
    await stop('SIGTERM')
    const counts = await countsOf(acked)
    expect(acked.filter((id) => counts.get(id) !== 1)).toEqual([])
  }, 120_000)

  it('stores every event acknowledged before a kill under load', async () => {
    await start()
    const underLoad: string[] = []
    let killed = false
    const client = async () => {
      while (!killed) {
        const events = Array.from({ length: 25 }, () => event())
        const r = await send(events).catch(() => undefined)
        if (r?.status === 202) underLoad.push(...events.map((e) => e.id))
      }
    }
    const clients = Array.from({ length: 8 }, client)
    while (underLoad.length < 2_000) await new Promise((r) => setTimeout(r, 20))
    await stop('SIGKILL')
    killed = true
    await Promise.all(clients)
    await start()
    await stop('SIGTERM')
    const counts = await countsOf(underLoad)
    expect(underLoad.filter((id) => counts.get(id) !== 1)).toEqual([])
  }, 180_000)
})
