// kill -9 of an on-prem relay during a forward (issue 29, docs/relay.md): the central Veil has
// stored a range whose answer the relay never got (the proxy holds it back), the relay is killed,
// started again on the same spool, and sends that range again. Every event the relay
// acknowledged is stored centrally exactly once: 0 lost, 0 duplicated.
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashKey, randomKey } from '../../src/apps/apps.ts'
import { batch, event } from '../support/batch.ts'
import { startCutProxy, type CutProxy } from '../support/cut-proxy.ts'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { until } from '../support/until.ts'

describe('a relay killed with SIGKILL while a forward is in flight', () => {
  const app = testApp('crash-app')
  const relayKey = randomKey('rl')
  const dir = tempDir('veil-relay-crash-')
  const port = 20_000 + Math.floor(Math.random() * 20_000)
  let central: TestServer
  let proxy: CutProxy
  let child: ChildProcess | undefined
  let output = ''
  const acked: string[] = []

  const startRelay = async () => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'relay'], {
      env: {
        ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(dir, 'relay'), APPS_FILE: join(dir, 'apps.json'), LOG_LEVEL: 'warn',
        RELAY_CENTRAL_URL: central.url, RELAY_KEY: relayKey, HTTPS_PROXY: proxy.url, RELAY_FORWARD_DELAY_MS: '20', RELAY_FORWARD_ROWS: '40', RELAY_BACKOFF_MAX_MS: '200',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    p.stdout!.on('data', (d: Buffer) => (output += d.toString()))
    p.stderr!.on('data', (d: Buffer) => (output += d.toString()))
    child = p
    await until(async () => {
      if (p.exitCode !== null) throw new Error(`relay exited ${p.exitCode}: ${output.slice(-2000)}`)
      return fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)
    }, 60_000, 'the relay listens')
  }
  const kill = () =>
    new Promise<void>((r) => {
      const p = child!
      child = undefined
      p.once('exit', () => r())
      p.kill('SIGKILL')
    })
  const stored = async () => central.query<{ id: string; n: string }>("SELECT toString(event_id) AS id, count() AS n FROM events WHERE app_id = 'crash-app' GROUP BY id")

  beforeAll(async () => {
    writeFileSync(join(dir, 'apps.json'), JSON.stringify({ apps: [app] }))
    proxy = await startCutProxy()
    proxy.cut = false
    proxy.hold = true
    central = await startTestServer({ apps: [app], relays: [{ id: 'plant-c', keys: [hashKey(relayKey)], apps: [app.id] }] })
    await startRelay()
    for (let b = 0; b < 5; b++) {
      const events = Array.from({ length: 20 }, (_, i) => event({ user_id: `worker-${i % 7}`, name: i % 3 ? 'login' : 'logout' }))
      const res = await fetch(`http://127.0.0.1:${port}/v1/batch`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch(app.write_keys[0]!, events)) })
      expect(res.status).toBe(202)
      acked.push(...events.map((e) => e.id))
    }
    // The central Veil stores a forward whose answer the proxy holds: then the relay dies.
    await until(() => central.veil.metrics.get('relay_rows_total', { relay: 'plant-c' }) > 0, 60_000, 'a forward is stored centrally, unanswered')
    await kill()
    proxy.hold = false
    await startRelay()
    await until(async () => (await stored()).length >= acked.length, 60_000, 'every acknowledged event arrived')
  }, 120_000)

  afterAll(async () => {
    if (child) await kill()
    await central?.stop()
    await proxy?.close()
  })

  it('loses none and stores none twice', async () => {
    const rows = await stored()
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(acked))
    expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([])
  })

  it('received the unanswered range again and recognised its rows as stored', () => {
    expect(central.veil.metrics.get('relay_duplicate_rows_total', { relay: 'plant-c' })).toBeGreaterThan(0)
  })
})
