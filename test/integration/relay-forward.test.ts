// The on-prem relay end to end (issue 29, docs/relay.md): an application sends raw events to a
// relay; the relay's uplink is cut (a proxy that refuses), then restored; every acknowledged
// event is stored once centrally, a resent batch too; and nothing raw (IPs, ids, User-Agents,
// planted personal data made with faker) is in any file of either data directory, any log
// line, or any byte the relay sent through the proxy. A declared canary value proves each scan
// sees what is there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fakerDE } from '@faker-js/faker'
import { hashKey, randomKey } from '../../src/apps/apps.ts'
import { loadConfig } from '../../src/config.ts'
import { startRelay, type Relay } from '../../src/relay/start-relay.ts'
import { batch, event } from '../support/batch.ts'
import { readStored } from '../support/disk-scan.ts'
import { requestBodies, startCutProxy, type CutProxy } from '../support/cut-proxy.ts'
import { startTestServer, tempDir, testApp, testFeederRoom, type TestServer } from '../support/server.ts'
import { until } from '../support/until.ts'

fakerDE.seed(2929)
const CANARY = 'relay-canary-7d1e'
const word = (s: string) => s.normalize('NFKD').toLowerCase().replace(/[^a-z]+/g, '_').replace(/^_+|_+$/g, '')
const first = fakerDE.person.firstName()
const last = fakerDE.person.lastName()
const PLANTED = {
  userEmail: fakerDE.internet.email({ firstName: first, lastName: last }),
  sessionId: `sess-${fakerDE.string.alphanumeric(12)}`,
  company: fakerDE.company.name(),
  person: `${word(first)}_${word(last)}`,
  phone: fakerDE.helpers.replaceSymbols('+49 170 #######'),
  street: fakerDE.location.streetAddress(),
  clientIp: fakerDE.internet.ipv4(),
  fixedIp: '81.2.69.160',
  truncatedIp: '81.2.69.0',
  userAgent: fakerDE.internet.userAgent(),
  uaPiece: 'Intel Mac OS X 10_15_7',
}
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15'
const plan = {
  mode: 'open' as const,
  events: { machine_fault: { props: { line: { kind: 'enum' as const, values: ['press-7', CANARY] }, note: { kind: 'text' as const }, operator: { kind: 'token' as const } } } },
}

describe('the relay forwards anonymised rows through a proxy that is cut, then restored', () => {
  const app = testApp('plant-app', { plan })
  const relayKey = randomKey('rl')
  const relayDir = tempDir('veil-relay-')
  const logs: string[] = []
  let central: TestServer
  let relay: Relay
  let proxy: CutProxy
  const acked: string[] = []
  let resent: unknown[] = []
  let segmentCalls = 0

  const send = async (events: unknown[], ip: string, ua: string) => {
    const res = await fetch(`http://127.0.0.1:${relay.port}/v1/batch`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': ua, 'X-Forwarded-For': ip },
      body: JSON.stringify(batch(app.write_keys[0]!, events)),
    })
    expect(res.status).toBe(202)
    const answer = (await res.json()) as { accepted: number; rejected: unknown[] }
    expect(answer.rejected).toEqual([])
    return answer.accepted
  }
  const events = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      i % 2 === 0
        ? event({ name: 'login', user_id: PLANTED.userEmail, session_id: PLANTED.sessionId, org_id: PLANTED.company, ts: Date.now() - i * 1000 })
        : event({
          name: 'machine_fault', user_id: PLANTED.userEmail, ts: Date.now() - i * 1000,
          props: { line: i === 1 ? CANARY : 'press-7', operator: PLANTED.person, note: `call ${PLANTED.person} on ${PLANTED.phone}, ${PLANTED.street}` },
        }))

  beforeAll(async () => {
    proxy = await startCutProxy()
    central = await startTestServer({
      apps: [app], relays: [{ id: 'plant-a', keys: [hashKey(relayKey)], apps: [app.id] }],
      env: { LOG_LEVEL: 'debug' }, logDestination: { write: (l: string) => void logs.push(l) },
    })
    const config = loadConfig({
      PORT: '0', HOST: '127.0.0.1', DATA_DIR: relayDir, TRUST_PROXY: '127.0.0.1', LOG_LEVEL: 'debug',
      RELAY_CENTRAL_URL: central.url, RELAY_KEY: relayKey, HTTPS_PROXY: proxy.url,
      RELAY_FORWARD_DELAY_MS: '20', RELAY_BACKOFF_MAX_MS: '200', ...testFeederRoom(),
    })
    relay = await startRelay(config, { apps: [app], logDestination: { write: (l: string) => void logs.push(l) } })

    // Cut: the relay acknowledges (its spool is durable) and keeps trying.
    const first = events(20)
    resent = first
    acked.push(...first.map((e) => (e as { id: string }).id))
    expect(await send(first, `${PLANTED.clientIp}`, PLANTED.userAgent)).toBe(20)
    await until(() => proxy.refused >= 2, 20_000, 'the proxy refused two forwards')
    expect(relay.spool.stats().pendingRows).toBe(20)
    // Restored: both batches arrive.
    proxy.cut = false
    const second = events(11)
    acked.push(...second.map((e) => (e as { id: string }).id))
    expect(await send(second, PLANTED.fixedIp, UA)).toBe(11)
    // The dialects run on the relay as on a node (docs/compat.md): a Segment track call.
    const messageId = crypto.randomUUID()
    const segment = await fetch(`http://127.0.0.1:${relay.port}/segment/v1/track`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': PLANTED.userAgent, 'X-Forwarded-For': PLANTED.clientIp },
      body: JSON.stringify({ writeKey: app.write_keys[0], messageId, type: 'track', event: 'machine_fault', userId: PLANTED.userEmail, properties: { line: 'press-7' }, timestamp: new Date().toISOString() }),
    })
    expect(segment.status).toBe(200)
    segmentCalls++
    await until(() => relay.spool.stats().pendingRows === 0, 20_000, 'the relay forwarded everything')
    // An application's retry of the first batch, after it was forwarded: stored once still.
    await send(resent, PLANTED.clientIp, PLANTED.userAgent)
    await until(() => relay.spool.stats().pendingRows === 0, 20_000, 'the retry went out too')
  }, 60_000)

  afterAll(async () => {
    await relay?.stop()
    await central?.stop()
    await proxy?.close()
  })

  it('stores every acknowledged event once centrally', async () => {
    const rows = await central.query<{ id: string; n: string }>("SELECT toString(event_id) AS id, count() AS n FROM events WHERE app_id = 'plant-app' GROUP BY id")
    // The Segment call's event id is derived from its messageId (compat/common.ts): one more row.
    expect(rows.length).toBe(acked.length + segmentCalls)
    for (const id of acked) expect(rows.map((r) => r.id)).toContain(id)
    expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([])
    const [login] = await central.query<Record<string, string>>("SELECT user_hash, session_hash, org_hash, country FROM events WHERE name = 'login' LIMIT 1")
    expect(login!.user_hash).toMatch(/^[0-9a-f]{16}$/)
    expect(login!.org_hash).toMatch(/^[0-9a-f]{16}$/)
  })

  it('shows the relay, its version and lag in the central /metrics', async () => {
    const text = await central.veil.metrics.render()
    expect(text).toMatch(/veil_relay_info\{relay="plant-a",version="\d+\.\d+\.\d+"\} 1/)
    expect(text).toMatch(/veil_relay_lag_seconds\{relay="plant-a"\} \d/)
  })

  it('sent nothing raw on the wire: every forward body holds anonymised rows only', () => {
    const bodies = requestBodies(proxy.captured)
    expect(bodies.length).toBeGreaterThan(0)
    const wire = Buffer.concat([...proxy.captured, ...bodies])
    expect(wire.includes(CANARY)).toBe(true)
    for (const [what, value] of Object.entries(PLANTED)) expect({ what, found: wire.includes(value) }).toEqual({ what, found: false })
  })

  describe('after both stop', () => {
    beforeAll(async () => {
      await relay.stop()
      await central.stop()
    }, 60_000)

    it('keeps nothing raw in any file of the relay\'s or the central data directory', () => {
      const files = [...readStored(relayDir), ...readStored(central.dataDir)]
      expect(files.some((f) => f.content.includes(CANARY))).toBe(true)
      for (const [what, value] of Object.entries(PLANTED)) {
        expect({ what, files: files.filter((f) => f.content.includes(value)).map((f) => f.file) }).toEqual({ what, files: [] })
      }
    })

    it('logs nothing raw on either side', () => {
      expect(logs.length).toBeGreaterThan(0)
      for (const [what, value] of Object.entries(PLANTED)) expect({ what, lines: logs.filter((l) => l.includes(value)) }).toEqual({ what, lines: [] })
    })
  })
})
