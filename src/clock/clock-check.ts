// One clock decides: Node stamps received_at and ages salts and the retry memory by its clock,
// the engine judges TTLs and recent_event_ids by now64(). This check measures the two against
// each other, at start and periodically, and says when they disagree beyond a bound.
import type { ClickHouseClient } from '@clickhouse/client'
import type { Logger } from '../observability/logger.ts'
import type { Metrics } from '../observability/metrics.ts'
import { errorFields } from '../observability/log-error.ts'
import { StorageUnavailableError, type Writer } from '../storage/commit/writer.ts'

export interface ClockCheckOptions {
  client: ClickHouseClient
  /** Node's clock as the rest of Veil reads it (StartOptions.now, Date.now by default). */
  now: () => number
  /** The largest |Node - engine| trusted; 0 turns the check off. */
  maxSkewMs: number
  logger: Logger
  metrics?: Metrics
  /** How often the engine's clock is read again (a one-row query). */
  intervalMs?: number
}

export interface ClockCheck {
  /** Node's clock minus the engine's (ms), carried forward on the monotonic clock; undefined before a measurement. */
  skewMs(): number | undefined
  /** Why events cannot be stamped now (for a 503 and /readyz); undefined when the clocks agree. */
  problem(): string | undefined
  /** Reads the engine's clock; a failure leaves the last measurement (storage trouble shows elsewhere). */
  measure(): Promise<void>
  start(): void
  stop(): void
}

const monotonicMs = () => performance.now()

function describeSkew(ms: number): string {
  const abs = Math.abs(ms)
  const amount = abs >= 86_400_000 ? `${(abs / 86_400_000).toFixed(1)} days` : abs >= 3_600_000 ? `${(abs / 3_600_000).toFixed(1)} hours` : `${Math.round(abs / 1000)} s`
  return `${amount} ${ms < 0 ? 'behind' : 'ahead of'}`
}

/**
 * Between measurements the engine's clock is taken to run at the monotonic clock's rate, so a
 * jump of Node's wall clock (an NTP step, a suspended VM, an operator) shows at the next
 * request, not at the next query; a jump of the engine's shows at the next query.
 */
export function createClockCheck(opts: ClockCheckOptions): ClockCheck {
  const { client, now, maxSkewMs, logger } = opts
  let anchor: { engineMs: number; mono: number; uncertaintyMs: number } | undefined
  let timer: NodeJS.Timeout | undefined
  let measuring: Promise<void> | undefined
  let lastMeasureMono = -Infinity
  let reported: string | undefined

  const skewMs = () => (anchor === undefined ? undefined : now() - (anchor.engineMs + (monotonicMs() - anchor.mono)))

  const measure = () =>
    (measuring ??= (async () => {
      try {
        const m0 = monotonicMs()
        const rs = await client.query({ query: 'SELECT toString(toUnixTimestamp64Milli(now64(3))) AS t', format: 'JSONEachRow' })
        const [row] = await rs.json<{ t: string }>()
        const m1 = monotonicMs()
        if (row) anchor = { engineMs: Number(row.t), mono: (m0 + m1) / 2, uncertaintyMs: (m1 - m0) / 2 }
      } catch (e) {
        logger.warn({ error: errorFields(e) }, "the engine's clock could not be read; keeping the last measurement")
      } finally {
        lastMeasureMono = monotonicMs()
        measuring = undefined
      }
    })())

  const problem = () => {
    if (maxSkewMs <= 0) return undefined
    const skew = skewMs()
    let reason: string | undefined
    if (skew !== undefined && Math.abs(skew) - anchor!.uncertaintyMs > maxSkewMs) {
      reason = `this node's clock is ${describeSkew(skew)} the store's (at most ${maxSkewMs / 1000} s are trusted): events stamped now would be judged by the other clock (retention, retry ids)`
      // A corrected clock is trusted again within seconds, not at the next periodic check.
      if (monotonicMs() - lastMeasureMono > 2000) void measure()
    }
    if (reason !== reported) {
      if (reason) logger.error({ skewMs: Math.round(skew!), maxSkewMs }, 'clocks disagree: ingestion answers 503 until they agree again')
      else if (reported) logger.warn({ skewMs: Math.round(skew ?? 0) }, 'clocks agree again: ingestion resumes')
      reported = reason
    }
    return reason
  }

  opts.metrics?.gauge('clock_skew_seconds', () => {
    const s = skewMs()
    return s === undefined ? undefined : s / 1000
  }, "This node's clock minus the store's (now64()), in seconds; beyond CLOCK_MAX_SKEW_SECONDS ingestion answers 503.")

  return {
    skewMs,
    problem,
    measure,
    start() {
      timer ??= setInterval(() => void measure().then(problem), opts.intervalMs ?? 30_000)
      timer.unref()
    },
    stop() {
      clearInterval(timer)
      timer = undefined
    },
  }
}

/**
 * The writer, refusing while the clocks disagree: a 503 the client retries (StorageUnavailableError,
 * mapped in http/app.ts), never a 202 for rows the TTL or the id windows then judge by the other
 * clock. Every way in (/v1/batch, the dialects, the relay) writes through it.
 */
export function guardWrites<Row>(writer: Writer<Row>, clock: ClockCheck): Writer<Row> {
  const refusal = () => {
    const reason = clock.problem()
    return reason === undefined ? undefined : new StorageUnavailableError(reason, 'clock')
  }
  return {
    ...writer,
    write(rows) {
      const refused = refusal()
      return refused ? Promise.reject(refused) : writer.write(rows)
    },
    submit(rows) {
      const refused = refusal()
      if (!refused) return writer.submit(rows)
      const failed = Promise.reject(refused)
      failed.catch(() => undefined)
      return { acked: failed, stored: failed }
    },
  }
}
