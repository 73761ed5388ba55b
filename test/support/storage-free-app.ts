// The real Veil app for HTTP tests that do not read what was stored: the routes, the edge, the
// pipeline, dedup and row encoding as in the server (src/boot/start-veil.ts), with writers that
// keep the rows in memory instead of an engine, and one fixed salt per app. No chDB, no socket:
// app.request() as DESIGN.md's Hono row says. Tests that check stored rows keep startTestServer.
import { randomBytes } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import type { Hono } from 'hono'
import { createApp } from '../../src/http/app.ts'
import { createRouteModules } from '../../src/http/route-modules.ts'
import { createAppRegistry, type AppConfig } from '../../src/apps/apps.ts'
import { loadConfig, type Config } from '../../src/config.ts'
import { createRateLimiter } from '../../src/ingest/rate-limit.ts'
import type { QuarantineRow } from '../../src/ingest/quarantine-shape.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts'
import { createPipeline } from '../../src/pipeline/index.ts'
import type { EventRow } from '../../src/pipeline/types.ts'
import { orgKeyOf, type CurrentSalt, type SaltStore } from '../../src/privacy/salts.ts'
import { createIdDedup } from '../../src/storage/dedup/retry-memory.ts'
import type { Writer } from '../../src/storage/commit/writer.ts'
import { encodeEventRows, encodeRows } from '../../src/storage/rows/rows-format.ts'
import { testApp } from './server.ts'
import { verifyAgainstZod } from './verify-fast-path.ts'

export interface StorageFreeApp {
  app: Hono
  config: Config
  metrics: Metrics
  /** The first app's write key, as TestServer has it. */
  writeKey: string
  /** Rows the writers were given, in order: what a server would have stored. */
  events: EventRow[]
  quarantined: QuarantineRow[]
}

export interface StorageFreeOptions {
  apps?: AppConfig[]
  /** Configuration, as the environment gives it (loadConfig). */
  env?: Record<string, string>
  now?: () => number
}

/** A writer that encodes the rows as the server's would (so encoding errors still show) and keeps them. */
function memoryWriter<Row extends unknown[]>(kept: Row[], encode: (rows: Row[]) => unknown): Writer<Row> {
  const write = async (rows: Row[]) => {
    encode(rows)
    kept.push(...rows)
  }
  return {
    write,
    submit: (rows) => {
      const stored = write(rows)
      return { acked: stored.then(() => []), stored }
    },
    flush: async () => {},
    shutdown: async () => {},
    stats: () => ({ inserts: 0, rowsWritten: kept.length, failedInserts: 0, refusedRows: 0, pendingRows: 0, retries: 0, deadLetteredRows: 0 }),
  }
}

/** One fixed salt per app, in a period that never ends: hashing runs, no salt table is read. */
function fixedSalts(): SaltStore {
  const salts = new Map<string, CurrentSalt>()
  const compat = randomBytes(32)
  const saltOf = (appId: string): CurrentSalt => {
    let s = salts.get(appId)
    if (!s) {
      const salt = randomBytes(32)
      salts.set(appId, (s = { appId, period: 1, generation: 1, salt, retiresAt: Infinity, orgKey: orgKeyOf(salt, appId, 1) }))
    }
    return s
  }
  return {
    current: async (appId) => saltOf(appId),
    compatKey: async () => compat,
    held: (appId) => [saltOf(appId)],
    purgeExpired: async () => 0,
    overdueSeconds: async () => 0,
  }
}

export function createStorageFreeApp(opts: StorageFreeOptions = {}): StorageFreeApp {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...opts.env })
  const list = opts.apps ?? [testApp()]
  const apps = createAppRegistry(list)
  const now = opts.now ?? Date.now
  const metrics = createMetrics()
  const events: EventRow[] = []
  const quarantined: QuarantineRow[] = []
  // Only /readyz asks the client anything here; the reports routes need startTestServer.
  const client = { ping: async () => ({ success: true }) } as unknown as ClickHouseClient
  const app = createApp({
    config,
    apps,
    pipeline: createPipeline(config),
    salts: fixedSalts(),
    writer: memoryWriter<EventRow>(events, encodeEventRows),
    quarantine: memoryWriter<QuarantineRow>(quarantined, encodeRows),
    dedup: createIdDedup(config.DEDUP_WINDOW_IDS),
    rateLimiter: createRateLimiter(config.RATE_LIMIT_BURST, now),
    metrics,
    logger: createLogger('silent'),
    now,
    client,
    routes: createRouteModules({ client, apps, now, noiseKey: null }),
    // As startTestServer: every event parsed is judged by zod too (verify-fast-path.ts).
    verifyFastPath: verifyAgainstZod,
  })
  return { app, config, metrics, writeKey: list[0]!.write_keys[0]!, events, quarantined }
}
