// Start phase: one clock decides (clock/clock-check.ts). This node's `now` stamps received_at and
// ages salts and the retry memory, the engine's now64() runs TTLs and recent_event_ids; while the
// two disagree beyond CLOCK_MAX_SKEW_SECONDS, ingestion answers 503 and /readyz says why.
import type { Config } from '../config.ts'
import type { Logger } from '../observability/logger.ts'
import type { Metrics } from '../observability/metrics.ts'
import { createClockCheck, type ClockCheck } from '../clock/clock-check.ts'
import type { Storage } from '../storage/clickhouse/client.ts'

/** Measured once before the node serves, then again on its own timer until clock.stop(). */
export async function startClockCheck(config: Config, storage: Storage, now: () => number, logger: Logger, metrics: Metrics): Promise<ClockCheck> {
  const clock = createClockCheck({ client: storage.client, now, maxSkewMs: config.CLOCK_MAX_SKEW_SECONDS * 1000, logger, metrics })
  await clock.measure()
  clock.start()
  return clock
}
