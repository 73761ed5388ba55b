// The relay's outbox (issue 29, docs/relay.md): with RELAY_REQUIRE_APPROVAL nothing leaves the
// site before a local approval; meanwhile the outbox (CLI view and the page on the relay's port)
// lists the pending anonymised rows with counts per event, and afterwards what was sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { hashKey, randomKey } from '../../src/apps/apps.ts'
import { loadConfig, spoolDirOf } from '../../src/config.ts'
import { startRelay, type Relay } from '../../src/relay/start-relay.ts'
import { batch, event } from '../support/batch.ts'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { until } from '../support/until.ts'

describe('a relay that waits for a local approval', () => {
  const app = testApp('dpo-app')
  const relayKey = randomKey('rl')
  let central: TestServer
  let relay: Relay
  const EMAIL = 'erika.musterfrau@werk.example'

  beforeAll(async () => {
    central = await startTestServer({ apps: [app], relays: [{ id: 'plant-o', keys: [hashKey(relayKey)], apps: [app.id] }], listen: true })
    relay = await startRelay(
      loadConfig({ DATA_DIR: join(tempDir('veil-relay-outbox-'), 'relay'), LOG_LEVEL: 'silent', RELAY_CENTRAL_URL: central.url, RELAY_KEY: relayKey, RELAY_REQUIRE_APPROVAL: 'true', RELAY_FORWARD_DELAY_MS: '20', RELAY_BACKOFF_MAX_MS: '100' }),
      { apps: [app], listen: false },
    )
    const events = [event({ name: 'login', user_id: EMAIL }), event({ name: 'login', user_id: EMAIL }), event({ name: 'logout', user_id: EMAIL })]
    const res = await relay.app.request('/v1/batch', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch(app.write_keys[0]!, events)) })
    expect(res.status).toBe(202)
    await until(() => relay.spool.stats().failedInserts >= 2, 20_000, 'a forward was held back')
  })
  afterAll(async () => {
    await relay?.stop()
    await central?.stop()
  })

  it('sends nothing before the approval and lists the pending rows, anonymised, per event', async () => {
    expect(central.veil.metrics.get('relay_rows_total', { relay: 'plant-o' })).toBe(0)
    const view = relay.outbox.view(spoolDirOf(relay.config))
    expect(view.approved).toBe(false)
    expect(view.pending.perEvent).toEqual({ 'dpo-app/login': 2, 'dpo-app/logout': 1 })
    const page = await (await relay.app.request('/outbox')).text()
    expect(page).toContain('Pending: 3 rows')
    expect(page).toMatch(/[0-9a-f]{16}/)
    expect(page).not.toContain(EMAIL)
  })

  it('takes the approval only with the relay key, then forwards and lists what was sent', async () => {
    expect((await relay.app.request('/outbox/approve', { method: 'POST' })).status).toBe(401)
    expect((await relay.app.request('/outbox/approve', { method: 'POST', headers: { Authorization: `Bearer ${app.write_keys[0]}` } })).status).toBe(401)
    expect((await relay.app.request('/outbox/approve', { method: 'POST', headers: { Authorization: `Bearer ${relayKey}` } })).status).toBe(200)
    type View = { approved: boolean; pending: { rows: number }; sent: { rows: number; perEvent: Record<string, number> } }
    let view: View | undefined
    await until(async () => (view = (await (await relay.app.request('/outbox.json')).json()) as View).sent.rows > 0, 20_000, 'the sent rows are listed')
    if (!view) throw new Error('no outbox view')
    expect(view.approved).toBe(true)
    expect(view.sent.rows).toBe(3)
    expect(view.sent.perEvent).toEqual({ 'dpo-app/login': 2, 'dpo-app/logout': 1 })
    // What was answered is no longer pending, though its frames stay on disk until the segment goes.
    expect(view.pending.rows).toBe(0)
    expect(central.veil.metrics.get('relay_rows_total', { relay: 'plant-o' })).toBe(3)
  })
})
