// Starts one Veil node: storage and migrations, apps, salts, pipeline, writers, HTTP server.
// Used by main.ts and by tests, which inject a clock, a log destination or an insert that fails.
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'
import type { DestinationStream } from 'pino'
import type { Config } from '../config.ts'
import { createApp, createMetricsApp } from '../http/app.ts'
import { createAppRegistry, loadAppsFile, type AppConfig, type AppRegistry } from '../apps/apps.ts'
import { createReloadableRegistry, type ReloadableRegistry } from '../apps/reload.ts'
import { isFirstStart } from '../apps/first-start.ts'
import { createClockCheck, guardWrites } from '../clock/clock-check.ts'
import { recordLateRetryLookup, skipStoredLateRetries } from '../storage/dedup/late-retries.ts'
import { createLogger, type Logger } from '../observability/logger.ts'
import { createMetrics, type Metrics } from '../observability/metrics.ts'
import { createPipeline } from '../pipeline/index.ts'
import type { FastPathVerifier } from '../ingest/batch-schema.ts'
import { EVENT_COLUMNS, type EventRow } from '../pipeline/types.ts'
import type { SaltStore } from '../privacy/salts.ts'
import { openSaltStore } from '../privacy/open-salts.ts'
import { registerSaltMetrics } from '../privacy/salt-metrics.ts'
import { createRateLimiter } from '../ingest/rate-limit.ts'
import type { QuarantineRow } from '../ingest/quarantine-shape.ts'
import { openStorage, type Storage } from '../storage/clickhouse/client.ts'
import { applyRetention, migrate } from '../storage/schema/migrate.ts'
import { createIdDedup } from '../storage/dedup/retry-memory.ts'
import { createWriter, type Writer } from '../storage/commit/writer.ts'
import { encodeRows, eventIdsOf, ROWS_FORMAT, type RowsFormat } from '../storage/rows/rows-format.ts'
import { openSpool, type Spool } from '../storage/spool/spool.ts'
import { createSpoolWriter } from '../storage/commit/spool-writer.ts'
import { registerSpoolMetrics } from '../storage/spool/metrics.ts'
import { registerEngineMetrics } from '../storage/clickhouse/engine-metrics.ts'
import type { SpoolFs } from '../storage/spool/spool-fs.ts'
import { registerServerMetrics, timedInsert, timedStoredIds } from '../observability/server-metrics.ts'
import { errorFields } from '../observability/log-error.ts'
import { createRouteModules } from '../http/route-modules.ts'
import { deadLetterToQuarantine } from '../storage/rows/dead-letter-rows.ts'
import { openRunMarker, repairAggregates, REPAIR_LOOKBACK_MS } from '../storage/schema/repair-aggregates.ts'
import { createStoredIds, probableOnly, withoutStored } from '../storage/dedup/stored-ids.ts'
import type { ClickHouseClient } from '@clickhouse/client'
import { openValuesRoom, type ValuesRoom } from '../privacy/values/index.ts'

async function hasTable(client: ClickHouseClient, name: string): Promise<boolean> {
  const rs = await client.query({ query: 'SELECT 1 FROM system.tables WHERE database = currentDatabase() AND name = {name:String}', query_params: { name }, format: 'JSONCompactEachRow' })
  return (await rs.json<unknown[]>()).length > 0
}

export interface StartOptions {
  now?: () => number
  logDestination?: DestinationStream
  /** Apps to serve instead of reading APPS_FILE. */
  apps?: AppConfig[]
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

export type InsertFn = (rows: EventRow[], token: string) => Promise<void>
/** Inserts rows already encoded (rows-format.ts; JSON unless `format` says), as the spool keeps them; `first`: see SpoolOptions. */
export type SpoolInsertFn = (body: Buffer, rows: number, token: string, first?: boolean, format?: RowsFormat) => Promise<void>

export interface Veil {
  app: Hono
  config: Config
  storage: Storage
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
  // The stored-ids filter only serves the store check (DEDUP_STORE_CHECK).
  const storage = await openStorage({ ...config, STORED_IDS_FILTER_BYTES: config.DEDUP_STORE_CHECK ? config.STORED_IDS_FILTER_BYTES : 0 })
  let firstStart = false
  try {
    // Asked before migrating: only a store never migrated may get a demo app (apps/first-start.ts).
    firstStart = !opts.apps && (await isFirstStart(storage.client))
    const applied = await migrate(storage.client, { retentionMonths: config.RETENTION_MONTHS, cluster: config.CLICKHOUSE_CLUSTER })
    if (applied.length) logger.info({ applied }, 'migrations applied')
    const retimed = await applyRetention(storage.client, config.RETENTION_MONTHS, config.CLICKHOUSE_CLUSTER)
    if (retimed.length) logger.info({ tables: retimed, months: config.RETENTION_MONTHS }, 'retention changed')
  } catch (e) {
    await storage.close()
    throw e
  }
  const { client } = storage
  // After a crash in direct mode the aggregates may lack rows of an insert it cut between events
  // and the views (F13), or parts a power loss took (only events is fsynced, sql/0032): the days
  // it touched are recomputed before the node listens. Not in spool mode: its replay re-sends
  // the cut range with the same token, which fills the views, and would count the rows a second
  // time on top of a recomputation. Only on the embedded store, which this process alone writes.
  const marker = storage.kind === 'embedded' ? openRunMarker(config.DATA_DIR) : undefined
  if (marker?.crashedAliveAt !== undefined && config.WRITE_MODE === 'direct') {
    const repaired = await repairAggregates(client, marker.crashedAliveAt - REPAIR_LOOKBACK_MS)
    logger.warn(repaired, 'the previous run did not stop cleanly: aggregates recomputed from events for the days it touched')
  }

  let createdDemoKey: string | undefined
  let createdDemoReadKey: string | undefined
  let apps: AppRegistry
  let fileApps: ReloadableRegistry | undefined
  if (opts.apps) {
    apps = createAppRegistry(opts.apps)
  } else {
    const loaded = loadAppsFile(config.APPS_FILE, { createDemo: firstStart })
    createdDemoKey = loaded.demoKeys?.write
    createdDemoReadKey = loaded.demoKeys?.read
    apps = fileApps = createReloadableRegistry(config.APPS_FILE, loaded.apps, logger, metrics, config.VEIL_CLI)
    fileApps.watch()
  }
  // One clock decides (src/clock/clock-check.ts): this node's `now` stamps received_at and ages
  // salts and the retry memory, the engine's now64() runs TTLs and recent_event_ids; while the
  // two disagree beyond CLOCK_MAX_SKEW_SECONDS, ingestion answers 503 and /readyz says why.
  const clock = createClockCheck({ client, now, maxSkewMs: config.CLOCK_MAX_SKEW_SECONDS * 1000, logger, metrics })
  await clock.measure()
  clock.start()
  // Salts in memory (embedded engine) or wrapped in the key store (server); never readable by
  // the role that reports or runs `veil sql` (PRIVACY.md 19, src/privacy/open-salts.ts).
  let keyStore: Awaited<ReturnType<typeof openSaltStore>>
  try {
    keyStore = await openSaltStore(config, storage, now, (e) => logger.warn({ error: errorFields(e) }, 'salt purge at rotation failed'))
  } catch (e) {
    await storage.close()
    throw e
  }
  const { salts } = keyStore

  // The views deduplicate with the token too (sql/0032): a re-sent block neither counts twice
  // in the aggregates nor stays missing from them (docs/durability.md, F12, F13).
  // On a cluster the Distributed table must hand rows to the shards before the insert returns,
  // or "committed" would mean "queued on one node".
  const insertSettings = (token: string) => ({
    insert_deduplication_token: token,
    // Spool frames written before a column was added (sql/0009) hold fewer values per row; they
    // take the column's default instead of being dead-lettered on replay.
    input_format_json_compact_allow_variable_number_of_columns: 1,
    deduplicate_blocks_in_dependent_materialized_views: 1,
    ...(config.CLICKHOUSE_CLUSTER ? { distributed_foreground_insert: 1 } : {}),
  })
  // Rows are encoded once and handed over as bytes (rows-format.ts): the spool's RowBinary (the
  // embedded engine reads it through file()), JSON in direct mode and in older spool frames.
  const insertBody = (body: Buffer, rows: number, token: string, format: RowsFormat = ROWS_FORMAT, skipStored = false) =>
    storage.insertRaw({ table: 'events', columns: EVENT_COLUMNS, format, body, rows, settings: insertSettings(token), skipStored })
  // Events another node (or this one, beyond its retry memory) stored already are dropped before
  // an insert (sql/0033; docs/durability.md, "several nodes"). On a cluster the generated schema
  // has it as a Distributed table over each shard's local one. The view keeps rows by the
  // engine's wall clock (now64()) while received_at comes from this node's clock: in production
  // both are the wall clock; a node more than an hour off simply has no rows in it.
  const lookup = config.DEDUP_STORE_CHECK && (await hasTable(client, 'recent_event_ids')) ? timedStoredIds(metrics, createStoredIds(client)) : undefined
  // In the spool, only a range's first attempt is filtered: a replay or a retry re-sends the
  // range as it was, so that its token means the same rows (and fills views a crash cut off).
  // The embedded engine filters RowBinary inside the insert (file-insert.ts: no id as text).
  // On the embedded engine this node is the only writer: once the filter of the ids it stored
  // is loaded, only the ids it may hold are looked up (stored-ids-filter.ts), a few granules
  // each, instead of a check that reads all of recent_event_ids per insert: inside the insert
  // (client.ts), and here for JSON frames and direct mode.
  const filter = lookup ? storage.storedIds?.filter : undefined
  const storedAmong = lookup && probableOnly(lookup, filter)
  const spoolInsert: SpoolInsertFn = async (body, rows, token, first, format = ROWS_FORMAT) => {
    if (first && storedAmong) {
      if (storage.skipsStoredIn(format)) return insertBody(body, rows, token, format, true)
      const stored = await storedAmong(eventIdsOf(body, format))
      if (stored.size > 0) ({ body, rows } = withoutStored(body, stored, format))
      if (rows === 0) return
    }
    return insertBody(body, rows, token, format)
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
  let writer: Writer<EventRow>
  let spool: Spool | undefined
  const replayedIds: string[] = []
  // Rows ClickHouse refuses for their data (poison.ts): quarantined, counted, logged.
  const onDeadLetter = (rows: unknown[][], reason: string) => {
    logger.error({ rows: rows.length, reason }, 'rows refused by ClickHouse for their data; dead-lettered')
    quarantine.write(deadLetterToQuarantine(rows, reason)).catch(() => metrics.inc('quarantine_write_failures_total'))
  }
  if (config.WRITE_MODE === 'spool') {
    const dir = config.SPOOL_DIR ?? join(config.DATA_DIR, 'veil-spool')
    spool = await openSpool({
      dir,
      insert: timedInsert(metrics, 'events', opts.wrapSpoolInsert ? opts.wrapSpoolInsert(spoolInsert) : spoolInsert),
      maxBytes: config.SPOOL_MAX_BYTES,
      segmentBytes: config.SPOOL_SEGMENT_BYTES,
      insertRows: config.SPOOL_INSERT_ROWS,
      feedDelayMs: config.SPOOL_FEED_DELAY_MS,
      minFreeBytes: config.SPOOL_MIN_FREE_BYTES,
      fs: opts.spoolFs,
      onInsertError: (e) => logger.warn({ error: errorFields(e) }, 'spool insert failed; retrying'),
      onDeadLetter: (lines, reason) => onDeadLetter(lines.map((l) => JSON.parse(l.toString('utf8')) as unknown[]), reason + ` (in ${dir}/dead-letter.jsonl)`),
      onDamage: (d) =>
        logger.error(d, d.segment.endsWith('(missing)')
          ? 'spool segment missing (deleted from under the spool): its rows are lost, later segments go on'
          : 'spool segment damaged: valid frames kept, damaged bytes skipped, segment kept as *.damaged'),
      // Replayed rows are remembered at once, so a client's retry of one is not stored again
      // while the backlog drains behind a listening server (F4).
      onReplayFrame: (payload, format) => replayedIds.push(...eventIdsOf(payload, format)),
      onLockLost: (holder) => logger.error({ dir, holder: holder && { pid: holder.pid, host: holder.host } }, 'the spool directory lock was removed or taken by another process: two processes may now share this SPOOL_DIR'),
    })
    const { replayedRows, corruptSegments, corruptBytes } = spool.stats()
    if (replayedRows || corruptSegments) logger.info({ replayedRows, corruptSegments, corruptBytes }, 'spool replayed; feeding ClickHouse in the background')
    writer = createSpoolWriter(spool, config.SHUTDOWN_TIMEOUT_MS)
    registerSpoolMetrics(metrics, spool)
  } else {
    const baseInsert: InsertFn = async (rows, token) => {
      const stored = storedAmong ? await storedAmong(rows.map((r) => r[1])) : undefined
      const fresh = stored?.size ? rows.filter((r) => !stored.has(r[1])) : rows
      if (fresh.length > 0) await insertBody(encodeRows(fresh), fresh.length, token)
    }
    writer = createWriter<EventRow>({
      insert: timedInsert(metrics, 'events', opts.wrapInsert ? opts.wrapInsert(baseInsert) : baseInsert),
      tokenOf: tokenOfRows,
      maxRows: config.WRITER_MAX_ROWS,
      maxDelayMs: config.WRITER_MAX_DELAY_MS,
      maxPendingRows: config.WRITER_MAX_PENDING_ROWS,
      insertTimeoutMs: config.WRITER_INSERT_TIMEOUT_MS,
      retryMs: config.WRITER_RETRY_MS,
      deadLetter: async (rows, reason) => onDeadLetter(rows, reason),
    })
  }
  // Retries later than recent_event_ids' two hours (SDK queues keep events for days): looked up
  // in events by app, day and name (storage/dedup/late-retries.ts).
  if (config.DEDUP_STORE_CHECK) writer = skipStoredLateRetries(writer, { client, now, onLookup: (s, looked, found) => recordLateRetryLookup(metrics, s, looked, found) })
  writer = guardWrites(writer, clock)
  registerServerMetrics(metrics, { writer, client, apps, now })
  registerSaltMetrics(metrics, salts, apps)
  if (storage.kind === 'embedded') registerEngineMetrics(metrics, client)

  // Remember the ids stored in the last hour, so a retry across a restart is stored once. The
  // hour is measured on the clock that stamped received_at (this process's `now`), not the
  // engine's now64(): in production both are the wall clock, but an injected clock must agree
  // with the rows it stamped.
  const dedup = createIdDedup(config.DEDUP_WINDOW_IDS)
  dedup.remember(replayedIds.splice(0))
  if (config.DEDUP_WINDOW_IDS > 0) {
    const rs = await client.query({
      query: 'SELECT toString(event_id) AS id FROM events WHERE received_at > fromUnixTimestamp64Milli({since:Int64}) ORDER BY received_at DESC LIMIT {n:UInt32}',
      query_params: { n: config.DEDUP_WINDOW_IDS, since: now() - 3600_000 },
      format: 'JSONCompactEachRow',
    })
    dedup.remember((await rs.json<[string]>()).map((r) => r[0]))
  }

  // In the background: until the filter holds what recent_event_ids held at start, every id is
  // looked up as before. Ids stored meanwhile are added as they are stored.
  const filterLoad = filter
    ? storage.storedIds!.load().then(
        (loadedIds) => logger.info({ loadedIds, filterBytes: filter.stats().bytes }, 'stored-ids filter loaded: the store check now looks up only the ids it may hold'),
        (e: unknown) => logger.warn({ error: errorFields(e) }, 'stored-ids filter not loaded; every id is looked up'),
      )
    : undefined

  let stopping: Promise<void> | undefined
  const values = await startValues(config, client, apps, salts, now, logger)
  const pipeline = createPipeline(config, { metrics, sealer: values.sealer })
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
    verifyFastPath: opts.verifyFastPath,
    routes: createRouteModules({ client, apps, now }),
    listeningPort: () => port,
    notReady: () => (stopping ? 'stopping' : (spool?.health()?.message ?? clock.problem())),
    // Still ready: a node serving the last good keys should keep its traffic.
    configStale: () => fileApps?.status().stale,
  })

  // Retired salts go within a minute (at rotation too; the key store's TTL is the safety net).
  const purge = () =>
    Promise.all([
      salts.purgeExpired().then(
        (n) => n > 0 && logger.info({ deleted: n }, 'expired salts deleted'),
        (e: unknown) => logger.warn({ error: errorFields(e) }, 'salt purge failed'),
      ),
      values.purgeExpired().then(
        (n) => n > 0 && logger.info({ deleted: n }, 'sealed copies of expired periods deleted'),
        (e: unknown) => logger.warn({ error: errorFields(e) }, 'sealed copies purge failed'),
      ),
    ])
  void purge()
  const purgeTimer = setInterval(purge, 60_000)
  purgeTimer.unref()

  let server: Server | undefined
  let metricsServer: Server | undefined
  let port = 0
  let metricsPort = 0
  const listen = (fetch: Hono['fetch'], p: number, hostname: string) =>
    new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch, port: p, hostname }, () => resolve(s as Server)) as Server
      s.once('error', reject)
    })
  if (opts.listen !== false) {
    server = await listen(app.fetch, config.PORT, config.HOST)
    server.keepAliveTimeout = 65_000
    port = (server.address() as AddressInfo).port
    // Every series, on an address of its own (loopback by default; http/metrics-route.ts).
    if (config.METRICS_PORT !== undefined) {
      metricsServer = await listen(createMetricsApp({ metrics, apps, config }).fetch, config.METRICS_PORT, config.METRICS_HOST).catch(async (e: unknown) => {
        await new Promise<void>((r) => server!.close(() => r()))
        throw e
      })
      metricsPort = (metricsServer.address() as AddressInfo).port
    }
  }

  // Once stopping starts, every answer says Connection: close, so keep-alive clients move to
  // another node instead of being cut off at the deadline (F9).
  server?.on('request', (_req, res: import('node:http').ServerResponse) => {
    if (stopping) res.setHeader('Connection', 'close')
  })
  // One budget for the whole stop (SHUTDOWN_TIMEOUT_MS): at most half of it for requests in
  // flight, the rest for the writer or spool; storage closes after. What the spool cannot
  // insert in time stays on disk and is replayed on the next start.
  const stop = () =>
    (stopping ??= (async () => {
      const end = Date.now() + config.SHUTDOWN_TIMEOUT_MS
      const left = () => Math.max(0, end - Date.now())
      clearInterval(purgeTimer)
      clock.stop()
      fileApps?.close()
      const closed = server ? new Promise<void>((r) => server!.close(() => r())) : Promise.resolve()
      metricsServer?.close()
      metricsServer?.closeAllConnections()
      server?.closeIdleConnections()
      const deadline = setTimeout(() => server?.closeAllConnections(), config.SHUTDOWN_TIMEOUT_MS / 2)
      deadline.unref()
      await closed
      clearTimeout(deadline)
      const bounded = (p: Promise<void>) => Promise.race([p, new Promise<void>((r) => setTimeout(r, left()).unref())])
      if (spool) await spool.close(left())
      else await bounded(writer.shutdown())
      await bounded(quarantine.shutdown())
      await bounded(values.stop())
      if (filterLoad) await bounded(filterLoad)
      await keyStore.close()
      await storage.close()
      marker?.clear()
      logger.info({ ms: config.SHUTDOWN_TIMEOUT_MS - left() }, 'stopped')
    })())

  const reloadApps = () => fileApps?.reload() ?? false
  return { app, config, storage, apps, salts, values, metrics, logger, writer, spool, port, metricsPort, createdDemoKey, createdDemoReadKey, reloadApps, stop }
}

/** The values room beside ingestion: its publisher ticks every VALUES_PUBLISH_MS, failures logged. */
function startValues(config: Config, client: ClickHouseClient, apps: AppRegistry, salts: SaltStore, now: () => number, logger: Logger): Promise<ValuesRoom> {
  return openValuesRoom({
    client,
    apps: () => apps.apps,
    salts,
    publishEveryMs: config.VALUES_PUBLISH_MS,
    now,
    onError: (what, e) => logger.warn({ error: errorFields(e) }, `values ${what} failed; the next tick tries again`),
  })
}
