// The stop of a node (SIGTERM; docs/durability.md F9): one budget, SHUTDOWN_TIMEOUT_MS, for all
// of it. At most half for requests in flight (then connections are closed), the rest for the
// write path to flush; storage closes only when no call into it is running. Closing the embedded
// engine under a running insert crashed the process (issue 24 item 5): when the budget runs out
// first, storage is left open and nothing more starts (run-node.ts exits once the call returns);
// the spool replays the unfinished range at the next start, and the run marker stays so a
// direct-mode start repairs the aggregates.
import type { Server } from 'node:http'
import type { Config } from '../config.ts'
import type { Logger } from '../observability/logger.ts'
import type { ReloadableRegistry } from '../apps/reload.ts'
import type { TrackedStorage } from '../storage/clickhouse/in-flight.ts'
import type { RunMarker } from '../storage/schema/run-marker.ts'
import type { WritePath } from '../storage/write-path.ts'
import { closeMetricsServer, closeServer } from './listen.ts'

export interface StopParts {
  config: Config
  logger: Logger
  storage: TrackedStorage
  writePath: WritePath
  server?: Server
  metricsServer?: Server
  fileApps?: ReloadableRegistry
  marker?: RunMarker
  /** Stops the salts' purge and the clock check's timers. */
  stopHousekeeping(): void
  /** Stops the values' publisher and flushes their sealed copies (privacy/values/). */
  stopValues(): Promise<void>
  /** Closes the salt key store's own connection, if any (privacy/open-salts.ts). */
  closeSalts(): Promise<void>
}

export interface Stopper {
  /** Idempotent: every call gets the one stop. */
  stop(): Promise<void>
  /** 'stopping' once stop() was called (for /readyz and Connection: close). */
  stopping(): string | undefined
}

export function createStopper(get: () => StopParts): Stopper {
  let stopping: Promise<void> | undefined
  async function run(p: StopParts): Promise<void> {
    const { config, logger, storage } = p
    const end = Date.now() + config.SHUTDOWN_TIMEOUT_MS
    const left = () => Math.max(0, end - Date.now())
    p.stopHousekeeping()
    p.fileApps?.close()
    closeMetricsServer(p.metricsServer)
    await closeServer(p.server, config.SHUTDOWN_TIMEOUT_MS / 2)
    // Before the write path, whose close ends by asking whether storage is idle.
    await Promise.race([p.stopValues(), new Promise<void>((r) => setTimeout(r, left()).unref())])
    const { storageIdle } = await p.writePath.close(left())
    await p.closeSalts()
    if (!storageIdle) {
      logger.warn(
        { running: storage.running(), budgetMs: config.SHUTDOWN_TIMEOUT_MS },
        'stop budget spent with an insert still running in ClickHouse: storage left open, nothing more is started; the process exits once that call returns; the spool replays unfinished ranges at the next start, direct-mode clients retry what was not answered',
      )
      return
    }
    await storage.close()
    p.marker?.clear()
    logger.info({ ms: config.SHUTDOWN_TIMEOUT_MS - left() }, 'stopped')
  }
  return {
    stop: () => (stopping ??= run(get())),
    stopping: () => (stopping ? 'stopping' : undefined),
  }
}
