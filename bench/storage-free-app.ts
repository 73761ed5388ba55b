// The real Veil app in process with storage taken out, for the in-process benches (handler.ts,
// compat.ts): pipeline, dedup and row encoding as in the server; the writer encodes the rows
// (events in RowBinary, as the spool does before its append) and resolves at once; fixed salts.
import { randomBytes } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import { createApp } from '../src/http/app.ts'
import { createAppRegistry, parseApps } from '../src/apps/apps.ts'
import { loadConfig } from '../src/config.ts'
import { createRateLimiter } from '../src/ingest/rate-limit.ts'
import { createLogger } from '../src/observability/logger.ts'
import { createMetrics } from '../src/observability/metrics.ts'
import { createPipeline } from '../src/pipeline/index.ts'
import type { EventRow } from '../src/pipeline/types.ts'
import type { QuarantineRow } from '../src/ingest/quarantine-shape.ts'
import { orgKeyOf, type SaltStore } from '../src/privacy/salts.ts'
import { createIdDedup } from '../src/storage/dedup/retry-memory.ts'
import { encodeEventRows, encodeRows } from '../src/storage/rows/rows-format.ts'
import type { Writer } from '../src/storage/commit/writer.ts'

function nullWriter<Row extends unknown[]>(encode: (rows: Row[]) => unknown): Writer<Row> {
  let rowsWritten = 0
  const write = async (rows: Row[]) => {
    encode(rows) // what the spool does before its append
    rowsWritten += rows.length
  }
  return {
    write,
    submit: (rows) => {
      const stored = write(rows)
      return { acked: stored.then(() => []), stored }
    },
    flush: async () => {},
    shutdown: async () => {},
    stats: () => ({ inserts: 0, rowsWritten, failedInserts: 0, refusedRows: 0, pendingRows: 0, retries: 0, deadLetteredRows: 0 }),
  }
}

/** One app ('bench') with the write key given; rate limits out of the way. */
export function createStorageFreeApp(key: string) {
  const config = loadConfig({ RATE_LIMIT_RPS: '100000000', LOG_LEVEL: 'silent' })
  const salt = randomBytes(32)
  const current = { appId: 'bench', period: 1, generation: 1, salt, retiresAt: Infinity, orgKey: orgKeyOf(salt, 'bench', 1) }
  const salts: SaltStore = { current: async () => current, compatKey: async () => salt, held: () => [current], purgeExpired: async () => 0, overdueSeconds: async () => 0 }
  return createApp({
    config,
    apps: createAppRegistry(parseApps({ apps: [{ id: 'bench', write_keys: [key] }] })),
    pipeline: createPipeline(config),
    salts,
    // Events in RowBinary, as the spool writer encodes them (spool-writer.ts).
    writer: nullWriter<EventRow>(encodeEventRows),
    quarantine: nullWriter<QuarantineRow>(encodeRows),
    dedup: createIdDedup(config.DEDUP_WINDOW_IDS),
    rateLimiter: createRateLimiter(config.RATE_LIMIT_BURST, Date.now),
    metrics: createMetrics(),
    logger: createLogger('silent'),
    now: Date.now,
    client: {} as ClickHouseClient,
  })
}
