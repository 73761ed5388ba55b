// An air-gapped site (issue 29, docs/relay.md): a relay without an uplink keeps its rows; `veil
// relay export` writes them as signed bundles and empties the spool; `veil import` on the central
// side stores them, and the same bundles imported again store nothing twice. A bundle changed
// after signing, or signed with another key, is refused.
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashKey, randomKey } from '../../src/apps/apps.ts'
import { loadConfig } from '../../src/config.ts'
import { runImport } from '../../src/cli/relay-command.ts'
import { exportPending } from '../../src/relay/export.ts'
import { pendingRows } from '../../src/relay/outbox.ts'
import { startRelay } from '../../src/relay/start-relay.ts'
import { batch, event } from '../support/batch.ts'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'

describe('export and import of relay bundles', () => {
  const app = testApp('gap-app')
  const relayKey = randomKey('rl')
  const dir = tempDir('veil-relay-gap-')
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: join(dir, 'relay'), LOG_LEVEL: 'silent', RELAY_KEY: relayKey, RELAY_BACKOFF_MAX_MS: '60000' })
  let central: TestServer
  const ids: string[] = []
  let files: string[] = []

  beforeAll(async () => {
    central = await startTestServer({ apps: [app], relays: [{ id: 'plant-g', keys: [hashKey(relayKey)], apps: [app.id] }] })
    const relay = await startRelay(config, { apps: [app], listen: false })
    for (let b = 0; b < 3; b++) {
      const events = Array.from({ length: 15 }, (_, i) => event({ user_id: `op-${i % 6}`, name: 'login' }))
      const res = await relay.app.request('/v1/batch', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch(app.write_keys[0]!, events)) })
      expect(res.status).toBe(202)
      ids.push(...events.map((e) => e.id))
    }
    await relay.stop()
    expect(pendingRows(join(dir, 'relay', 'veil-spool')).length).toBe(45)
    const out = await exportPending(config, join(dir, 'bundles'))
    expect(out.rows).toBe(45)
    files = out.files
  }, 60_000)
  afterAll(() => central?.stop())

  const importAll = async () => {
    let text = ''
    const code = await runImport(loadConfig({ PORT: String(central.port) }), files, { write: async (s) => void (text += s) }, { write: async (s) => void (text += s) })
    return { code, text }
  }
  const stored = () => central.query<{ id: string; n: string }>("SELECT toString(event_id) AS id, count() AS n FROM events WHERE app_id = 'gap-app' GROUP BY id")

  it('empties the spool into bundle files', () => {
    expect(pendingRows(join(dir, 'relay', 'veil-spool'))).toEqual([])
    expect(readdirSync(join(dir, 'bundles')).filter((f) => f.endsWith('.bundle'))).toHaveLength(files.length)
  })

  it('stores the rows of an imported bundle, once, even when it is imported twice', async () => {
    const first = await importAll()
    expect(first.code).toBe(0)
    const second = await importAll()
    expect(second.code).toBe(0)
    expect(second.text).toMatch(/imported before/)
    const rows = await stored()
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids))
    expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([])
  })

  it('refuses a bundle changed after it was signed', async () => {
    const b = JSON.parse(readFileSync(files[0]!, 'utf8')) as { version: string }
    const res = await central.veil.app.request('/v1/relay/bundle', { method: 'POST', body: JSON.stringify({ ...b, version: '9.9.9' }) })
    expect(res.status).toBe(401)
  })

  it('refuses a bundle signed with a key no relay has', async () => {
    const other = loadConfig({ DATA_DIR: join(dir, 'other'), RELAY_KEY: randomKey('rl'), LOG_LEVEL: 'silent' })
    const relay = await startRelay(other, { apps: [app], listen: false })
    await relay.app.request('/v1/batch', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch(app.write_keys[0]!, [event()])) })
    await relay.stop()
    const { files: forged } = await exportPending(other, join(dir, 'forged'))
    const res = await central.veil.app.request('/v1/relay/bundle', { method: 'POST', body: readFileSync(forged[0]!) })
    expect(res.status).toBe(401)
  })
})
