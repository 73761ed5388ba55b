// Starts one Veil node: storage and migrations, apps, salts, pipeline, writers, HTTP server.
// Used by main.ts and by tests, which inject a clock, a log destination or an insert that fails.
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'
import type { DestinationStream } from 'pino'
import type { Config } from './config.ts'
import { createApp } from './app.ts'
import { createAppRegistry, loadAppsFile, type AppConfig, type AppRegistry } from './apps.ts'
import { createReloadableRegistry, type ReloadableRegistry } from './apps-reload.ts'
import { createLogger, type Logger } from './logger.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { createPipeline } from './pipeline/index.ts'
import { EVENT_COLUMNS, type EventRow } from './pipeline/types.ts'
import { createSaltStore, type SaltStore } from './privacy/salts.ts'
import { createRateLimiter } from './http/rate-limit.ts'
import type { QuarantineRow } from './http/quarantine.ts'
import { openStorage, type Storage } from './storage/client.ts'
import { applyRetention, migrate } from './storage/migrate.ts'
import { createIdDedup } from './storage/dedup.ts'
import { createWriter, type Writer } from './storage/writer.ts'
import { encodeRows, ROWS_FORMAT } from './storage/rows-format.ts'
import { openSpool, type Spool } from './storage/spool.ts'
import { createSpoolWriter } from './storage/spool-writer.ts'
import { registerSpoolMetrics } from './storage/spool-metrics.ts'
import { registerServerMetrics, timedInsert } from './server-metrics.ts'
import { errorFields } from './log-error.ts'
import { createRouteModules } from './routes.ts'

export interface StartOptions {
  now?: () => number
  logDestination?: DestinationStream
  /** Apps to serve instead of reading APPS_FILE. */
  apps?: AppConfig[]
  /** Replaces the events insert, e.g. with one that fails, to test the 503 path. */
  wrapInsert?: (insert: InsertFn) => InsertFn
  /** Replaces the spool's inserts into ClickHouse (WRITE_MODE=spool), e.g. with one that fails. */
  wrapSpoolInsert?: (insert: SpoolInsertFn) => SpoolInsertFn
  /** Don't listen on a socket (tests that use app.request()). */
  listen?: boolean
}

export type InsertFn = (rows: EventRow[], token: string) => Promise<void>
/** Inserts rows already encoded (rows-format.ts), as the spool keeps them. */
export type SpoolInsertFn = (body: Buffer, rows: number, token: string) => Promise<void>

export interface Veil {
  app: Hono
  config: Config
  storage: Storage
  apps: AppRegistry
  salts: SaltStore
  metrics: Metrics
  logger: Logger
  writer: Writer<EventRow>
  /** The write-ahead spool, with WRITE_MODE=spool. */
  spool?: Spool
  /** The port listened on (0 when not listening). */
  port: number
  /** The demo app's write key, when this start created APPS_FILE. */
  createdDemoKey?: string
  /** The demo app's read key, when this start created APPS_FILE (only its hash is stored). */
  createdDemoReadKey?: string
  /** Reads APPS_FILE again (SIGHUP); false when it is invalid and the previous apps stay. */
  reloadApps(): boolean
  /** Stops accepting, flushes, closes storage; idempotent. */
  stop(): Promise<void>
}

/** The insert token of a group of rows: a replay of the same rows is a no-op in ClickHouse. */
export function tokenOfRows(rows: EventRow[]): string {
  const h = createHash('sha256')
  for (const r of rows) h.update(r[1])
  return h.digest('hex')
}

export async function startVeil(config: Config, opts: StartOptions = {}): Promise<Veil> {
  const now = opts.now ?? Date.now
  const logger = createLogger(config.LOG_LEVEL, opts.logDestination)
  const metrics = createMetrics()
  const storage = await openStorage(config)
  try {
    const applied = await migrate(storage.client, { retentionMonths: config.RETENTION_MONTHS, cluster: config.CLICKHOUSE_CLUSTER })
    if (applied.length) logger.info({ applied }, 'migrations applied')
    const retimed = await applyRetention(storage.client, config.RETENTION_MONTHS, config.CLICKHOUSE_CLUSTER)
    if (retimed.length) logger.info({ tables: retimed, months: config.RETENTION_MONTHS }, 'retention changed')
  } catch (e) {
    await storage.close()
    throw e
  }
  const { client } = storage

  let createdDemoKey: string | undefined
  let createdDemoReadKey: string | undefined
  let apps: AppRegistry
  let fileApps: ReloadableRegistry | undefined
  if (opts.apps) {
    apps = createAppRegistry(opts.apps)
  } else {
    const loaded = loadAppsFile(config.APPS_FILE)
    createdDemoKey = loaded.demoKeys?.write
    createdDemoReadKey = loaded.demoKeys?.read
    apps = fileApps = createReloadableRegistry(config.APPS_FILE, loaded.apps, logger)
    fileApps.watch()
  }
  const salts = createSaltStore(client, now)

  // On a cluster the Distributed table must hand rows to the shards before the insert returns,
  // or "committed" would mean "queued on one node".
  const insertSettings = (token: string) => ({
    insert_deduplication_token: token,
    // Spool frames written before a column was added (sql/0009) hold fewer values per row; they
    // take the column's default instead of being dead-lettered on replay.
    input_format_json_compact_allow_variable_number_of_columns: 1,
    ...(config.CLICKHOUSE_CLUSTER ? { distributed_foreground_insert: 1 } : {}),
  })
  // Rows are encoded once, by JSON.stringify, and handed over as bytes (rows-format.ts).
  const insertBody: SpoolInsertFn = (body, _rows, token) =>
    storage.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format: ROWS_FORMAT, body, settings: insertSettings(token) })
  let writer: Writer<EventRow>
  let spool: Spool | undefined
  if (config.WRITE_MODE === 'spool') {
    spool = await openSpool({
      dir: config.SPOOL_DIR ?? join(config.DATA_DIR, 'veil-spool'),
      insert: timedInsert(metrics, 'events', opts.wrapSpoolInsert ? opts.wrapSpoolInsert(insertBody) : insertBody),
      maxBytes: config.SPOOL_MAX_BYTES,
      segmentBytes: config.SPOOL_SEGMENT_BYTES,
      insertRows: config.SPOOL_INSERT_ROWS,
      feedDelayMs: config.SPOOL_FEED_DELAY_MS,
      onInsertError: (e) => logger.warn({ error: errorFields(e) }, 'spool insert failed; retrying'),
    })
    const { replayedRows, corruptSegments, corruptBytes } = spool.stats()
    if (replayedRows || corruptSegments) logger.info({ replayedRows, corruptSegments, corruptBytes }, 'spool replayed')
    // Replayed rows reach ClickHouse before the id memory below is loaded from it, so that a
    // retry of a replayed event is recognised.
    if (replayedRows) await spool.drain()
    writer = createSpoolWriter<EventRow>(spool, config.SHUTDOWN_TIMEOUT_MS)
    registerSpoolMetrics(metrics, spool)
  } else {
    const baseInsert: InsertFn = (rows, token) => insertBody(encodeRows(rows), rows.length, token)
    writer = createWriter<EventRow>({
      insert: timedInsert(metrics, 'events', opts.wrapInsert ? opts.wrapInsert(baseInsert) : baseInsert),
      tokenOf: tokenOfRows,
      maxRows: config.WRITER_MAX_ROWS,
      maxDelayMs: config.WRITER_MAX_DELAY_MS,
      maxPendingRows: config.WRITER_MAX_PENDING_ROWS,
    })
  }
  const quarantine = createWriter<QuarantineRow>({
    insert: timedInsert(metrics, 'quarantine', async (rows: QuarantineRow[]) => {
      await client.insert({ table: 'quarantine', values: rows, format: 'JSONCompactEachRow' })
    }),
    tokenOf: () => '',
    maxRows: 10_000,
    maxDelayMs: 200,
    maxPendingRows: 100_000,
  })
  registerServerMetrics(metrics, { writer, client, apps })

  // Remember the ids stored in the last hour, so a retry across a restart is stored once. The
  // hour is measured on the clock that stamped received_at (this process's `now`), not the
  // engine's now64(): in production both are the wall clock, but an injected clock must agree
  // with the rows it stamped.
  const dedup = createIdDedup(config.DEDUP_WINDOW_IDS)
  if (config.DEDUP_WINDOW_IDS > 0) {
    const rs = await client.query({
      query: 'SELECT toString(event_id) AS id FROM events WHERE received_at > fromUnixTimestamp64Milli({since:Int64}) ORDER BY received_at DESC LIMIT {n:UInt32}',
      query_params: { n: config.DEDUP_WINDOW_IDS, since: now() - 3600_000 },
      format: 'JSONCompactEachRow',
    })
    dedup.remember((await rs.json<[string]>()).map((r) => r[0]))
  }

  const pipeline = createPipeline(config)
  const app = createApp({
    config,
    apps,
    pipeline,
    salts,
    writer,
    quarantine,
    dedup,
    rateLimiter: createRateLimiter(config.RATE_LIMIT_BURST, now),
    metrics,
    logger,
    now,
    client,
    routes: createRouteModules({ client, apps, now }),
  })

  // Salts past their 48 hours go promptly (the table's TTL is the safety net).
  const purge = () =>
    salts.purgeExpired().then(
      (n) => n > 0 && logger.info({ deleted: n }, 'expired salts deleted'),
      (e: unknown) => logger.warn({ error: errorFields(e) }, 'salt purge failed'),
    )
  void purge()
  const purgeTimer = setInterval(purge, 15 * 60_000)
  purgeTimer.unref()

  let server: Server | undefined
  let port = 0
  if (opts.listen !== false) {
    server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () => resolve(s as Server)) as Server
      s.once('error', reject)
    })
    server.keepAliveTimeout = 65_000
    port = (server.address() as AddressInfo).port
  }

  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(purgeTimer)
      fileApps?.close()
      const closed = server ? new Promise<void>((r) => server!.close(() => r())) : Promise.resolve()
      server?.closeIdleConnections()
      // In-flight requests finish: their rows are flushed before storage closes.
      const deadline = setTimeout(() => server?.closeAllConnections(), config.SHUTDOWN_TIMEOUT_MS)
      deadline.unref()
      await closed
      clearTimeout(deadline)
      await writer.shutdown()
      await quarantine.shutdown()
      await storage.close()
      logger.info('stopped')
    })())

  const reloadApps = () => fileApps?.reload() ?? false
  return { app, config, storage, apps, salts, metrics, logger, writer, spool, port, createdDemoKey, createdDemoReadKey, reloadApps, stop }
}
