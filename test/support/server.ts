// Runs a real Veil node for tests: Hono on a real socket, embedded chDB under a temp data
// directory, the real migrations (copied migrated from test/support/engine-template.ts), and the
// embedded default write mode, the spool, as users run it. chDB binds one data directory per
// process, so a test file that restarts the server passes the same dataDir again.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config.ts'
import { randomKey, type AppConfig } from '../../src/apps/apps.ts'
import { startVeil, type StartOptions, type Veil } from '../../src/boot/start-veil.ts'
import { verifyAgainstZod } from './verify-fast-path.ts'
import { copyTemplate } from './engine-template.ts'

export interface TestServer {
  url: string
  port: number
  dataDir: string
  writeKey: string
  readKey: string
  appId: string
  veil: Veil
  /** Reads ClickHouse once the spool has fed it everything acknowledged so far (drained()). */
  query<T = Record<string, unknown>>(sql: string, params?: Record<string, unknown>): Promise<T[]>
  /**
   * Resolves once every event acknowledged so far is in ClickHouse: at once in direct mode (a 202
   * waits for the insert), when the spool has fed it all in spool mode. Rejects after `ms`.
   */
  drained(ms?: number): Promise<void>
  stop(): Promise<void>
}

export interface TestServerOptions extends Omit<StartOptions, 'apps'> {
  port?: number
  dataDir?: string
  env?: Record<string, string>
  apps?: AppConfig[]
  /** Migrate an empty store instead of starting from the migrated template (tests of migrating). */
  emptyStore?: boolean
}

export function tempDir(prefix = 'veil-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/**
 * One app with fresh keys, the defaults of APPS_FILE, and an open tracking plan (any safe name
 * and key), so tests of other parts may send their own events; the privacy tests set plans.
 */
export function testApp(id = 'test-app', overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    id,
    write_keys: [randomKey('wk')],
    read_keys: [randomKey('rk')],
    salt_rotation_hours: 24,
    honor_gpc: true,
    k_anonymity: 5,
    plan: { mode: 'open', events: {} },
    ...overrides,
  }
}

/**
 * The spool's feeder room (src/storage/spool/feeder-room.ts) is 2 segments, 128 MiB of zeros
 * written and synced at every start: a test server takes 1 MiB, so the room is still taken and
 * given back, without writing 128 MiB per start. A test that sizes the segments (the disk-full
 * tests) keeps the production rule, 2 segments, unless it sizes the room too.
 */
export function testFeederRoom(env: Record<string, string> = {}): Record<string, string> {
  return 'SPOOL_SEGMENT_BYTES' in env || 'SPOOL_FEEDER_ROOM_BYTES' in env ? {} : { SPOOL_FEEDER_ROOM_BYTES: String(2 ** 20) }
}

/** Set by test/support/shift-clock.mjs when it moved this process's Date. */
const clockShifted = () => (globalThis as { __veilClockShifted?: boolean }).__veilClockShifted === true

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDir()
  const config = loadConfig({
    PORT: String(opts.port ?? 0),
    HOST: '127.0.0.1',
    DATA_DIR: join(dataDir, 'clickhouse'),
    APPS_FILE: join(dataDir, 'apps.json'),
    LOG_LEVEL: 'silent',
    WRITER_MAX_DELAY_MS: '5',
    // No WRITE_MODE: the embedded default (spool). A 202 then means synced to the spool, not yet
    // in ClickHouse, so what reads the store waits for drained(); tests of direct mode say so.
    // A test that moves this node's clock on purpose (an injected `now`, or shift-clock.mjs in
    // `npm run test:clock`) turns the clock check off: the engine keeps the real time, and the
    // check would answer 503 (src/clock/clock-check.ts). Tests of the check set it themselves.
    ...(opts.now || clockShifted() ? { CLOCK_MAX_SKEW_SECONDS: '0' } : {}),
    ...testFeederRoom(opts.env),
    ...opts.env,
  })
  if (!opts.emptyStore && !config.CLICKHOUSE_URL) copyTemplate(config.DATA_DIR)
  const apps = opts.apps ?? [testApp()]
  const veil = await startVeil(config, { verifyFastPath: verifyAgainstZod, ...opts, apps })
  const app = apps[0]!
  return {
    url: `http://127.0.0.1:${veil.port}`,
    port: veil.port,
    dataDir,
    writeKey: app.write_keys[0]!,
    readKey: app.read_keys[0] ?? '',
    appId: app.id,
    veil,
    drained: (ms) => drained(veil, ms),
    async query<T>(sql: string, params?: Record<string, unknown>) {
      await drained(veil)
      const rs = await veil.storage.client.query({ query: sql, query_params: params, format: 'JSONEachRow' })
      return rs.json<T>()
    },
    stop: () => veil.stop(),
  }
}

/** See TestServer.drained: the spool's own drain (spool/types.ts), bounded so a stuck feed fails the test. */
async function drained(veil: Veil, ms = 15_000): Promise<void> {
  const spool = veil.spool
  if (!spool) return
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const { pendingRows, failedInserts } = spool.stats()
      reject(new Error(`the spool did not feed ClickHouse within ${ms} ms: ${pendingRows} rows pending, ${failedInserts} failed inserts`))
    }, ms)
  })
  try {
    await Promise.race([spool.drain(), late])
  } finally {
    clearTimeout(timer)
  }
}
