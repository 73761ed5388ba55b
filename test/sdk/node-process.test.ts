// The Node SDK in real child processes against the real server (embedded ClickHouse): kill -9
// while events are queued, crashes delivered on the next start, app_stop on orderly exit. Values
// one installation sent are stored as tokens (PRIVACY.md 17): rows are read with them opened from
// their sealed copies, as the operator could while the salt lives (test/support/unseal.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestServer, type TestServer } from '../support/server.ts'
import { createDiskQueue } from '../../sdk/node/disk-queue.ts'
import { createVeil } from '../../sdk/node/index.ts'
import { runApp } from './support/child.ts'
import { startSlowProxy } from './support/slow-proxy.ts'
import { unsealerOf } from '../support/unseal.ts'

let server: TestServer
const dirs: string[] = []
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await server?.stop()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function appEnv(run: string) {
  const queueDir = mkdtempSync(join(tmpdir(), 'veil-app-'))
  dirs.push(queueDir)
  return { VEIL_ENDPOINT: server.url, VEIL_KEY: server.writeKey, VEIL_QUEUE_DIR: queueDir, VEIL_RUN: run }
}

interface Row { event_id: string; name: string; session_hash: string; age_h: number; props: Record<string, string>; metrics: Record<string, number> }

/** Every stored event (of one name), tokens opened. Numbers are in `metrics`, strings and booleans in `props`. */
async function stored(name?: string): Promise<Row[]> {
  await server.drained()
  const unseal = await unsealerOf(server, server.appId)
  const rows = await server.query<Row>(
    `SELECT toString(event_id) AS event_id, name, session_hash, dateDiff('hour', ts, received_at) AS age_h, props, metrics FROM events ORDER BY ts`,
  )
  return rows
    .map((r) => ({ ...r, name: unseal(r.name), props: Object.fromEntries(Object.entries(r.props).map(([k, v]) => [unseal(k), unseal(v)])), metrics: Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [unseal(k), v])) }))
    .filter((r) => name === undefined || r.name === name)
}

/** Per seq of one run's events of `name`: how often it was stored and under how many ids. */
async function byRun(run: string, name: string): Promise<{ seq: number; n: number; ids: number }[]> {
  const bySeq = new Map<number, Row[]>()
  // The sequence number in two props of two significant digits each (numbers keep no more).
  for (const r of (await stored(name)).filter((x) => x.props.run === run)) {
    const seq = r.metrics.seq_hi! * 100 + r.metrics.seq_lo!
    bySeq.set(seq, [...(bySeq.get(seq) ?? []), r])
  }
  return [...bySeq].map(([seq, rows]) => ({ seq, n: rows.length, ids: new Set(rows.map((r) => r.event_id)).size })).sort((a, b) => a.seq - b.seq)
}

describe('Node SDK across process deaths', () => {
  it('stores each event exactly once when the app is killed with -9 mid-stream and restarted', async () => {
    const env = appEnv('kill9')
    // Answers come 300 ms late: one batch of at most 25 events per 300 ms cannot keep up with an
    // event per 5 ms, so at the kill a batch is in flight (stored, not acknowledged) and more wait.
    const slow = await startSlowProxy(server.port, 300)
    const first = runApp('track', 200, { ...env, VEIL_ENDPOINT: slow.url })
    await first.line((l) => l.tracked === 100)
    first.child.kill('SIGKILL')
    expect((await first.exit).signal).toBe('SIGKILL')
    await slow.close()

    const left = createDiskQueue({ dir: env.VEIL_QUEUE_DIR, maxBytes: 16 << 20, segmentBytes: 256 << 10 })
    const waiting = left.peek(() => true).events.filter((e) => e.name === 'rule_add').map((e) => Number(e.props!.seq_hi) * 100 + Number(e.props!.seq_lo))
    left.close()
    const before = (await byRun('kill9', 'rule_add')).map((r) => r.seq)
    // Some of the unacknowledged events are not stored yet: the restart has real work to do.
    expect(waiting.filter((seq) => !before.includes(seq)).length).toBeGreaterThan(0)

    const second = runApp('drain', 0, env)
    const done = await second.line<{ stats: { dropped: Record<string, number> } }>((l) => l.done === true)
    expect(Object.values(done.stats.dropped).every((n) => n === 0)).toBe(true)

    const rows = await byRun('kill9', 'rule_add')
    // Everything tracked before the kill (at least the first 100) arrived, each once, nothing twice.
    expect(rows.map((r) => r.seq)).toEqual([...new Set([...before, ...waiting])].sort((a, b) => a - b))
    expect(rows.length).toBeGreaterThanOrEqual(100)
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i))
    expect(rows.filter((r) => Number(r.n) !== 1 || Number(r.ids) !== 1)).toEqual([])
  })

  it('writes app_crash of an uncaught exception to disk, scrubbed, and delivers it on the next start', async () => {
    const env = appEnv('crash1')
    const crashed = runApp('crash', 0, env)
    expect((await crashed.exit).code).not.toBe(0)
    // Anonymised before it was buffered (PRIVACY.md 1): the raw message never reached the disk.
    const onDisk = readdirSync(join(env.VEIL_QUEUE_DIR, 'queue'))
      .filter((f) => f.endsWith('.log'))
      .map((f) => readFileSync(join(env.VEIL_QUEUE_DIR, 'queue', f), 'utf8'))
      .join('')
    expect(onDisk).toContain('app_crash')
    expect(onDisk).not.toMatch(/jdoe|10\.20\.30\.40|example\.com/)

    await runApp('drain', 0, env).line((l) => l.done === true)
    const rows = (await stored('app_crash')).filter((r) => r.props.error_type === 'Error')
    expect(rows).toHaveLength(1)
    // The message is kept as its terms: the words touching what the detectors replaced go too.
    expect(rows[0]!.props).toMatchObject({ error_type: 'Error', fatal: 'true', message: 'cannot' })
    expect(rows[0]!.props.fingerprint).toMatch(/^[0-9a-f]{16}$/)
  })

  it('records app_crash for an unhandled rejection too, and no app_stop for a crash', async () => {
    const env = appEnv('reject1')
    const crashed = runApp('reject', 0, env)
    expect((await crashed.exit).code).not.toBe(0)
    await runApp('drain', 0, env).line((l) => l.done === true)
    const rows = (await stored('app_crash')).filter((r) => r.props.error_type === 'TypeError')
    expect(rows).toHaveLength(1)
    // `row [number] of [path] reject1`: every word touches a placeholder or is a stop word.
    expect(rows[0]!.props).toMatchObject({ error_type: 'TypeError', message: '' })
    // The session of an on-prem SDK is its installation (issue 11): both runs share it. The
    // crashed run sent app_start and app_crash, the drain run app_start and app_stop.
    const ofInstallation = (await stored()).filter((r) => r.session_hash === rows[0]!.session_hash).sort((a, b) => a.name.localeCompare(b.name))
    expect(ofInstallation.map((r) => r.name)).toEqual(['app_crash', 'app_start', 'app_start', 'app_stop'])
  })

  it('sends app_stop with the uptime when the app ends normally', async () => {
    const env = appEnv('exit1')
    const app = runApp('idle-exit', 0, env)
    expect((await app.exit).code).toBe(0)
    const [query] = (await stored('report_query')).filter((r) => r.props.run === 'exit1')
    expect(query).toBeDefined()
    const stops = await server.query<{ uptime: number; deployment: string; os: string }>(
      `SELECT metrics['uptime_ms'] AS uptime, deployment, os FROM events WHERE name = 'app_stop' AND session_hash = {s:String}`,
      { s: query!.session_hash },
    )
    expect(stops).toHaveLength(1)
    expect(stops[0].uptime).toBeGreaterThan(0)
    expect(stops[0].deployment).toBe('onprem')
  })

  it('sends app_stop on SIGTERM and then lets the signal end the process', async () => {
    const env = appEnv('term1')
    const app = runApp('serve', 0, env)
    await app.line((l) => l.ready === true)
    app.child.kill('SIGTERM')
    expect((await app.exit).signal).toBe('SIGTERM')
    const sessions = new Set((await stored()).filter((r) => r.props.run === 'term1').map((r) => r.session_hash))
    const stops = (await stored('app_stop')).filter((r) => sessions.has(r.session_hash)).map((r) => ({ uptime: r.metrics.uptime_ms! }))
    expect(stops).toHaveLength(1)
    expect(stops[0].uptime).toBeGreaterThan(0)
  })

  it('delivers events queued days ago with their original time once the network is back', async () => {
    const env = appEnv('days')
    const threeDays = 3 * 24 * 3600 * 1000
    let clock = Date.now() - threeDays
    // Offline: nothing listens on port 9. Only the disk queue holds the events meanwhile.
    const offline = createVeil({ endpoint: 'http://127.0.0.1:9', key: server.writeKey, queueDir: env.VEIL_QUEUE_DIR, now: () => clock, captureCrashes: false, captureExit: false, env: {} })
    for (let i = 0; i < 3; i++) offline.track('cm_data_import', { status: 'ok', records: i, run: 'days' })
    await offline.shutdown(200)
    clock = Date.now()
    const online = createVeil({ endpoint: server.url, key: server.writeKey, queueDir: env.VEIL_QUEUE_DIR, captureCrashes: false, captureExit: false, env: {} })
    await online.flush()
    await online.shutdown()
    // Both times come from the process clock; the engine's now64() would be the wall clock.
    const rows = (await stored('cm_data_import')).filter((r) => r.props.run === 'days')
    expect(rows).toHaveLength(3)
    for (const r of rows) expect(Number(r.age_h)).toBeGreaterThanOrEqual(71)
  })
})
