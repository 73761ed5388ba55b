// Starts one Veil node as named phases: store and migrations, repair after a crash, apps, clock
// check, salts, write path, values, app, listen; and the stop (stop.ts). Used by main.ts
// (run-node.ts) and by tests, which inject a clock, a log destination or an insert that fails.
import type { Server } from 'node:http'
import type { Hono } from 'hono'
import type { DestinationStream } from 'pino'
import type { Config } from '../config.ts'
import type { AppConfig, AppRegistry, RelaySite } from '../apps/apps.ts'
import type { FastPathVerifier } from '../ingest/batch-schema.ts'
import { createLogger, type Logger } from '../observability/logger.ts'
import { createMetrics, type Metrics } from '../observability/metrics.ts'
import type { EventRow } from '../pipeline/types.ts'
import type { SaltStore } from '../privacy/salts.ts'
import type { ValuesRoom } from '../privacy/values/index.ts'
import { guardWrites } from '../clock/clock-check.ts'
import type { TrackedStorage } from '../storage/clickhouse/in-flight.ts'
import type { InsertFn, SpoolInsertFn } from '../storage/commit/events-insert.ts'
import type { Writer } from '../storage/commit/writer.ts'
import type { SpoolFs } from '../storage/spool/spool-fs.ts'
import type { Spool } from '../storage/spool/types.ts'
import { openWritePath } from '../storage/write-path.ts'
import { buildApp, buildMetricsApp } from './build-app.ts'
import { startClockCheck } from './check-clock.ts'
import { listen } from './listen.ts'
import { loadApps } from './load-apps.ts'
import { openSalts, startSaltPurge } from './open-salts.ts'
import { openValues } from './open-values.ts'
import { openStoreAndMigrate } from './open-store.ts'
import { repairAfterCrash } from './repair-after-crash.ts'
import { createStopper } from './stop.ts'

export type { InsertFn, SpoolInsertFn } from '../storage/commit/events-insert.ts'
export { tokenOfRows } from '../storage/commit/events-insert.ts'

export interface StartOptions {
  now?: () => number
  logDestination?: DestinationStream
  /** Apps to serve instead of reading APPS_FILE. */
  apps?: AppConfig[]
  /** With `apps`: the relay sites to accept rows from (docs/relay.md). */
  relays?: RelaySite[]
  /** Replaces the events insert, e.g. with one that fails, to test the 503 path. */
  wrapInsert?: (insert: InsertFn) => InsertFn
  /** Replaces the spool's inserts into ClickHouse (WRITE_MODE=spool), e.g. with one that fails. */
  wrapSpoolInsert?: (insert: SpoolInsertFn) => SpoolInsertFn
  /** The spool's file operations, e.g. a disk that fills up (test/faults). */
  spoolFs?: SpoolFs
  /** Don't listen on a socket (tests that use app.request()). */
  listen?: boolean
  /** Judges every parse's fast path against zod (the tests: test/support/verify-fast-path.ts). */
  verifyFastPath?: FastPathVerifier
}

export interface Veil {
  app: Hono
  config: Config
  /** Storage that knows whether a call into it still runs (clickhouse/in-flight.ts). */
  storage: TrackedStorage
  apps: AppRegistry
  salts: SaltStore
  /** Values known to k people (PRIVACY.md 17): the sealer and the publisher (publishNow() in tests). */
  values: ValuesRoom
  metrics: Metrics
  logger: Logger
  writer: Writer<EventRow>
  /** The write-ahead spool, with WRITE_MODE=spool. */
  spool?: Spool
  /** The port listened on (0 when not listening). */
  port: number
  /** The separate metrics listener's port (0 without METRICS_PORT or when not listening). */
  metricsPort: number
  /** The demo app's write key, when this start created APPS_FILE. */
  createdDemoKey?: string
  /** The demo app's read key, when this start created APPS_FILE (only its hash is stored). */
  createdDemoReadKey?: string
  /** Reads APPS_FILE again (SIGHUP); false when it is invalid and the previous apps stay. */
  reloadApps(): boolean
  /** Stops accepting, flushes, closes storage unless an insert still runs in it; idempotent. */
  stop(): Promise<void>
}

export async function startVeil(config: Config, opts: StartOptions = {}): Promise<Veil> {
  const now = opts.now ?? Date.now
  const logger = createLogger(config.LOG_LEVEL, opts.logDestination)
  const metrics = createMetrics()
  const { storage, firstStart } = await openStoreAndMigrate(config, logger, !opts.apps)
  const marker = await repairAfterCrash(config, storage, logger)
  const { apps, fileApps, createdDemoKey, createdDemoReadKey } = loadApps(config, opts.apps, logger, metrics, firstStart, opts.relays)
  const clock = await startClockCheck(config, storage, now, logger, metrics)
  const keyStore = await openSalts(config, storage, now, logger)
  const { salts } = keyStore
  const writePath = await openWritePath({
    config, storage, metrics, logger, now, wrapInsert: opts.wrapInsert, wrapSpoolInsert: opts.wrapSpoolInsert, spoolFs: opts.spoolFs,
    guard: (writer) => guardWrites(writer, clock),
  })
  const values = await openValues(config, storage, apps, salts, now, logger)
  const stopPurge = startSaltPurge(salts, values, logger)
  let server: Server | undefined
  let metricsServer: Server | undefined
  const stopHousekeeping = () => (stopPurge(), clock.stop())
  const stopper = createStopper(() => ({ config, logger, storage, writePath, server, metricsServer, fileApps, marker, stopHousekeeping, stopValues: () => values.stop(), closeSalts: () => keyStore.close() }))
  let port = 0
  let metricsPort = 0
  const parts = { config, storage, apps, fileApps, salts, values, writePath, clock, metrics, logger, now, verifyFastPath: opts.verifyFastPath, stopping: stopper.stopping, listeningPort: () => port }
  const app = buildApp(parts)
  if (opts.listen !== false) ({ server, port, metricsServer, metricsPort } = await listen(app, () => buildMetricsApp(parts), config, stopper.stopping))
  return {
    app, config, storage, apps, salts, values, metrics, logger, writer: writePath.writer, spool: writePath.spool, port, metricsPort, createdDemoKey, createdDemoReadKey,
    reloadApps: () => fileApps?.reload() ?? false,
    stop: stopper.stop,
  }
}
