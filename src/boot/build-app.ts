// Start phase: the HTTP app over the write path (http/app.ts) and the node's metrics; the
// metrics app of the separate listener (METRICS_PORT, http/metrics-route.ts).
import type { Hono } from 'hono'
import type { Config } from '../config.ts'
import { createApp, createMetricsApp } from '../http/app.ts'
import { createRouteModules } from '../http/route-modules.ts'
import { loadNoiseKey } from '../privacy/noise/noise-key.ts'
import { createRateLimiter } from '../ingest/rate-limit.ts'
import type { FastPathVerifier } from '../ingest/batch-schema.ts'
import type { AppRegistry } from '../apps/apps.ts'
import type { ReloadableRegistry } from '../apps/reload.ts'
import type { ClockCheck } from '../clock/clock-check.ts'
import type { Logger } from '../observability/logger.ts'
import type { Metrics } from '../observability/metrics.ts'
import { registerServerMetrics } from '../observability/server-metrics.ts'
import { createPipeline } from '../pipeline/index.ts'
import type { SaltStore } from '../privacy/salts.ts'
import { registerSaltMetrics } from '../privacy/salt-metrics.ts'
import type { ValuesRoom } from '../privacy/values/index.ts'
import type { Storage } from '../storage/clickhouse/client.ts'
import { registerEngineMetrics } from '../storage/clickhouse/engine-metrics.ts'
import type { WritePath } from '../storage/write-path.ts'

export interface AppParts {
  config: Config
  storage: Storage
  apps: AppRegistry
  /** Set when the apps come from APPS_FILE: /readyz says when they are not those on disk. */
  fileApps?: ReloadableRegistry
  salts: SaltStore
  /** Its sealer is the pipeline's seal_values step's (privacy/values/). */
  values: ValuesRoom
  writePath: WritePath
  clock: ClockCheck
  metrics: Metrics
  logger: Logger
  now: () => number
  /** Judges every parse's fast path against zod (tests). */
  verifyFastPath?: FastPathVerifier
  /** 'stopping' once the stop has begun. */
  stopping(): string | undefined
  /** The port the public listener took (0 until it listens). */
  listeningPort(): number
}

export function buildApp(p: AppParts): Hono {
  const { config, storage, apps, salts, writePath, metrics, logger, now } = p
  const { client } = storage
  registerServerMetrics(metrics, { writer: writePath.writer, client, apps, now })
  registerSaltMetrics(metrics, salts, apps)
  if (storage.kind === 'embedded') registerEngineMetrics(metrics, client)
  return createApp({
    config,
    apps,
    pipeline: createPipeline(config, { metrics, sealer: p.values.sealer, unplanned: p.values.unplanned }),
    salts,
    writer: writePath.writer,
    quarantine: writePath.quarantine,
    dedup: writePath.retryMemory,
    rateLimiter: createRateLimiter(config.RATE_LIMIT_BURST, now),
    metrics,
    logger,
    now,
    client,
    verifyFastPath: p.verifyFastPath,
    // The report noise key (docs/reports.md "Noise"): none with REPORT_NOISE=off, exact figures.
    routes: createRouteModules({ client, apps, now, noiseKey: config.REPORT_NOISE === 'off' ? null : loadNoiseKey(config.DATA_DIR, config.REPORT_NOISE_KEY) }),
    listeningPort: p.listeningPort,
    notReady: () => p.stopping() ?? writePath.trouble() ?? p.clock.problem(),
    // Still ready: a node serving the last good keys should keep its traffic.
    configStale: () => p.fileApps?.status().stale,
  })
}

/** Every series, for the separate metrics listener. */
export function buildMetricsApp(p: Pick<AppParts, 'metrics' | 'apps' | 'config'>): Hono {
  return createMetricsApp({ metrics: p.metrics, apps: p.apps, config: p.config })
}
