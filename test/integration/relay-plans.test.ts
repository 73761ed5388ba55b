// Plans from the central Veil (docs/relay.md "Plans"): with RELAY_PLANS=central the relay takes
// each app's tracking plan from the central Veil with its relay key and caches it, so a start
// without uplink still applies the last plan it got, not the site file's.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashKey, randomKey } from '../../src/apps/apps.ts'
import { loadConfig } from '../../src/config.ts'
import { startRelay } from '../../src/relay/start-relay.ts'
import { batch, event } from '../support/batch.ts'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'

describe('a relay with RELAY_PLANS=central', () => {
  const central = testApp('planned', { plan: { mode: 'strict', events: { machine_fault: { props: { line: { kind: 'enum', values: ['press-7'] } } } } } })
  // The site's own file knows the app and its key, but no plan of its own (the catalog only).
  const local = { ...central, plan: undefined }
  const relayKey = randomKey('rl')
  const dir = tempDir('veil-relay-plans-')
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer({ apps: [central], relays: [{ id: 'plant-p', keys: [hashKey(relayKey)], apps: [central.id] }] })
  })
  afterAll(() => s?.stop())

  const accepted = async (centralUrl: string) => {
    const config = loadConfig({ DATA_DIR: join(dir, 'relay'), LOG_LEVEL: 'silent', RELAY_PLANS: 'central', RELAY_CENTRAL_URL: centralUrl, RELAY_KEY: relayKey, RELAY_FORWARD_TIMEOUT_MS: '2000', SHUTDOWN_TIMEOUT_MS: '1000' })
    const relay = await startRelay(config, { apps: [local], listen: false })
    try {
      const res = await relay.app.request('/v1/batch', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch(central.write_keys[0]!, [event({ name: 'machine_fault', props: { line: 'press-7' } })])) })
      expect(res.status).toBe(202)
      return ((await res.json()) as { accepted: number }).accepted
    } finally {
      await relay.stop()
    }
  }

  it('applies the central plan, and the cached one when the central Veil cannot be reached', async () => {
    expect(await accepted(s.url)).toBe(1)
    expect(await accepted('http://127.0.0.1:9')).toBe(1)
  })

  it('applies the site file\'s plan without a central or cached one', async () => {
    const config = loadConfig({ DATA_DIR: join(dir, 'fresh'), LOG_LEVEL: 'silent', RELAY_PLANS: 'central', RELAY_CENTRAL_URL: 'http://127.0.0.1:9', RELAY_KEY: relayKey, RELAY_FORWARD_TIMEOUT_MS: '2000', SHUTDOWN_TIMEOUT_MS: '1000' })
    const relay = await startRelay(config, { apps: [local], listen: false })
    const res = await relay.app.request('/v1/batch', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch(central.write_keys[0]!, [event({ name: 'machine_fault', props: { line: 'press-7' } })])) })
    await relay.stop()
    expect(((await res.json()) as { accepted: number }).accepted).toBe(0)
  })
})
