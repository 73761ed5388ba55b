// `veil relay` (docs/relay.md): the same ingestion core, pipeline and endpoints as a node, run
// inside a customer's site with no ClickHouse. Salts are created and kept in this process's
// memory only (privacy/salts.ts, as the embedded engine keeps them); anonymised rows go to a
// local durable spool, whose feeder hands each range to the uplink (uplink.ts) instead of an
// insert. The seam is the spool's insert: append, sync, replay and retirement are the node's own.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Server } from 'node:http'
import type { Hono } from 'hono'
import type { DestinationStream } from 'pino'
import { spoolDirOf, type Config } from '../config.ts'
import type { AppConfig, AppRegistry } from '../apps/apps.ts'
import { loadApps } from '../boot/load-apps.ts'
import { loadAppsFile } from '../apps/apps.ts'
import { withCentralPlans } from './central-plans.ts'
import { closeServer, listen } from '../boot/listen.ts'
import { createApp, createMetricsApp } from '../http/app.ts'
import { createRateLimiter } from '../ingest/rate-limit.ts'
import { createLogger, type Logger } from '../observability/logger.ts'
import { createMetrics, type Metrics } from '../observability/metrics.ts'
import { errorFields } from '../observability/log-error.ts'
import { createPipeline } from '../pipeline/index.ts'
import { createMemorySaltStore } from '../privacy/salts.ts'
import { createSpoolWriter } from '../storage/commit/spool-writer.ts'
import type { SpoolInsertFn } from '../storage/commit/events-insert.ts'
import type { Writer } from '../storage/commit/writer.ts'
import { createIdDedup } from '../storage/dedup/retry-memory.ts'
import { eventIdsOf } from '../storage/rows/rows-format.ts'
import type { QuarantineRow } from '../storage/rows/quarantine-row.ts'
import { registerSpoolMetrics } from '../storage/spool/metrics.ts'
import { openSpool } from '../storage/spool/spool.ts'
import type { Spool } from '../storage/spool/types.ts'
import { sentRange, openOutbox, type Outbox } from './outbox.ts'
import { createOutboxRoutes } from './outbox-page.ts'
import { createUplink } from './uplink.ts'

export interface RelayStartOptions {
  now?: () => number
  logDestination?: DestinationStream
  /** Apps to serve instead of reading APPS_FILE. */
  apps?: AppConfig[]
  listen?: boolean
  /** Replaces the uplink (bench: a forward that only counts). */
  insert?: SpoolInsertFn
}

export interface Relay {
  app: Hono
  config: Config
  apps: AppRegistry
  metrics: Metrics
  logger: Logger
  spool: Spool
  outbox: Outbox
  port: number
  stop(): Promise<void>
}

/**
 * This build's version, sent with every forward (the central /metrics shows it per relay): from
 * Veil's package.json, the nearest one up from this file, whether it runs from src/relay/ or
 * from the bundle in dist/.
 */
export const RELAY_VERSION: string = (() => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'veil' && pkg.version) return pkg.version
    } catch {
      // none here: one level up
    }
    if (dirname(dir) === dir) return 'unknown'
  }
})()

/** Where the outbox keeps what was sent, and the approval: beside the spool, in DATA_DIR. */
export const outboxDirOf = (config: Pick<Config, 'DATA_DIR'>) => join(config.DATA_DIR, 'relay-outbox')

/** A relay keeps no quarantine: a rejected event is answered and counted, and nothing of it is kept. */
function discardQuarantine(metrics: Metrics): Writer<QuarantineRow> {
  const drop = async (rows: QuarantineRow[]) => void metrics.inc('relay_quarantine_discarded_total', {}, rows.length)
  return {
    write: drop,
    submit: (rows) => ({ acked: drop(rows).then(() => []), stored: Promise.resolve() }),
    flush: async () => {},
    shutdown: async () => {},
    stats: () => ({ inserts: 0, rowsWritten: 0, failedInserts: 0, refusedRows: 0, pendingRows: 0, retries: 0, deadLetteredRows: 0 }),
  }
}

function uplinkInsert(config: Config, outbox: Outbox, logger: Logger, metrics: Metrics): SpoolInsertFn {
  const url = config.RELAY_CENTRAL_URL
  const key = config.RELAY_KEY
  if (!url || !key) {
    // Air-gapped: rows wait for `veil relay export`; the feeder asks again every RELAY_BACKOFF_MAX_MS.
    return async () => {
      throw new Error('no uplink (RELAY_CENTRAL_URL and RELAY_KEY unset): rows wait for veil relay export')
    }
  }
  return createUplink({
    centralUrl: url, relayKey: key, version: RELAY_VERSION, proxy: config.HTTPS_PROXY,
    timeoutMs: config.RELAY_FORWARD_TIMEOUT_MS, backoffMaxMs: config.RELAY_BACKOFF_MAX_MS,
    approved: () => !config.RELAY_REQUIRE_APPROVAL || outbox.approved(),
    onSent(body, format, answer, token) {
      metrics.inc('relay_forwarded_rows_total', {}, answer.accepted)
      if (answer.rejected.length) {
        metrics.inc('relay_refused_rows_total', {}, answer.rejected.length)
        // Reasons only: they name columns and kinds, never a value.
        logger.warn({ refused: answer.rejected.length, reasons: [...new Set(answer.rejected.map((r) => r.reason))].slice(0, 5) }, 'the central Veil refused rows of a forward')
      }
      outbox.recordSent({ at: Date.now(), accepted: answer.accepted, duplicates: answer.duplicates, refused: answer.rejected, range: sentRange(token) }, body, format)
    },
  }).insert
}

export async function startRelay(config: Config, opts: RelayStartOptions = {}): Promise<Relay> {
  const now = opts.now ?? Date.now
  const logger = createLogger(config.LOG_LEVEL, opts.logDestination)
  const metrics = createMetrics()
  // Plans from the central Veil replace the file's at start; the apps file is then not watched.
  const given = config.RELAY_PLANS === 'central' ? await withCentralPlans(config, opts.apps ?? loadAppsFile(config.APPS_FILE).apps, logger) : opts.apps
  const { apps, fileApps } = loadApps(config, given, logger, metrics, false)
  const salts = createMemorySaltStore(now)
  const outbox = openOutbox(outboxDirOf(config))
  const spoolDir = spoolDirOf(config)
  const replayedIds: string[] = []
  const airGapped = !opts.insert && !(config.RELAY_CENTRAL_URL && config.RELAY_KEY)
  const spool = await openSpool({
    dir: spoolDir,
    insert: opts.insert ?? uplinkInsert(config, outbox, logger, metrics),
    maxBytes: config.RELAY_SPOOL_MAX_BYTES,
    full: config.RELAY_SPOOL_FULL,
    // Counts only, never a value: the rows given up are anonymised, but nothing of them is logged.
    onDrop(rows, bytes) {
      metrics.inc('relay_dropped_rows_total', {}, rows)
      logger.warn({ dropped: rows, bytes }, 'the spool is full: its oldest rows were dropped to take new ones (RELAY_SPOOL_FULL=drop-oldest)')
    },
    segmentBytes: Math.min(config.SPOOL_SEGMENT_BYTES, config.RELAY_SPOOL_MAX_BYTES),
    insertRows: config.RELAY_FORWARD_ROWS,
    feedDelayMs: config.RELAY_FORWARD_DELAY_MS,
    // The uplink's own back-off stretches the pause between failed forwards (uplink.ts).
    retryMs: airGapped ? config.RELAY_BACKOFF_MAX_MS : 1000,
    minFreeBytes: config.SPOOL_MIN_FREE_BYTES,
    // The room is for an engine's inserts on the spool's disk; a forward writes nothing locally.
    feederRoomBytes: 0,
    onInsertError: (e) => logger.warn({ error: errorFields(e) }, 'forward to the central Veil failed; the rows stay in the spool and are sent again'),
    onReplayFrame: (payload, format) => replayedIds.push(...eventIdsOf(payload, format)),
  })
  registerSpoolMetrics(metrics, spool)
  const dedup = createIdDedup(config.DEDUP_WINDOW_IDS)
  dedup.remember(replayedIds.splice(0))
  const writer = createSpoolWriter(spool, config.SHUTDOWN_TIMEOUT_MS)
  let port = 0
  let stopping: Promise<void> | undefined
  const app = createApp({
    config, apps, salts, writer, dedup, metrics, logger, now,
    pipeline: createPipeline(config, { metrics }),
    quarantine: discardQuarantine(metrics),
    rateLimiter: createRateLimiter(config.RATE_LIMIT_BURST, now),
    routes: [createOutboxRoutes({ outbox, spoolDir, relayKey: config.RELAY_KEY, now })],
    relayDoor: false,
    listeningPort: () => port,
    // An uplink away is the relay's normal life: only a spool that cannot take rows is not ready.
    notReady: () => (stopping ? 'stopping' : spool.health()?.reason === 'feeder_failing' ? undefined : spool.health()?.message),
  })
  let server: Server | undefined
  if (opts.listen !== false) ({ server, port } = await listen(app, () => createMetricsApp({ metrics, apps, config }), { ...config, METRICS_PORT: undefined }, () => stopping))
  logger.info({ port, spool: spoolDir, central: config.RELAY_CENTRAL_URL ?? null, approval: config.RELAY_REQUIRE_APPROVAL }, 'relay started')
  return {
    app, config, apps, metrics, logger, spool, outbox, port,
    stop: () =>
      (stopping ??= (async () => {
        fileApps?.close()
        await closeServer(server, config.SHUTDOWN_TIMEOUT_MS / 2)
        // Without an uplink nothing can be forwarded in the budget: the rows stay for the export.
        await spool.close(airGapped ? 0 : config.SHUTDOWN_TIMEOUT_MS / 2)
        logger.info('relay stopped')
      })()),
  }
}
