// The ingestion core (src/ingest/ingest-core.ts) on plain values, no HTTP: the real pipeline,
// dedup, rate limiter and metrics, with an in-memory salt store and writers written here (a
// writer that fails or never answers stands for storage trouble).
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createIngest, type IngestDeps } from '../../../src/ingest/ingest-core.ts'
import type { IngestOutcome, IngestRequest, IngestResult } from '../../../src/ingest/ingest-request.ts'
import type { QuarantineRow } from '../../../src/ingest/quarantine-shape.ts'
import { createRateLimiter } from '../../../src/ingest/rate-limit.ts'
import { createMetrics } from '../../../src/observability/metrics.ts'
import { createPipeline } from '../../../src/pipeline/index.ts'
import type { EventRow } from '../../../src/pipeline/types.ts'
import { orgKeyOf, type SaltStore } from '../../../src/privacy/salts.ts'
import { StorageUnavailableError, type Writer } from '../../../src/storage/commit/writer.ts'
import { createIdDedup } from '../../../src/storage/dedup/retry-memory.ts'
import { CHROME_UA, event } from '../../support/batch.ts'
import { verifyAgainstZod } from '../../support/verify-fast-path.ts'
import { app } from '../pipeline/fixtures.ts'

const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'
const CONFIG = { RATE_LIMIT_RPS: 1000, MAX_EVENT_AGE_HOURS: 720, MAX_FUTURE_SKEW_MINUTES: 60, WRITER_TIMEOUT_MS: 2000 }
const pipeline = createPipeline({ IP_TRUNCATION: 'standard', UA_CACHE_SIZE: 100, HASH_CACHE_SIZE: 100, GEO_CACHE_SIZE: 100, GEOIP_CITY_DB: undefined })

/** A writer that keeps what it is given; `answer` decides what each submit's acknowledgement does. */
function memoryWriter<Row extends unknown[]>(answer: (rows: Row[]) => Promise<Row[]> = async () => []) {
  const written: Row[] = []
  const writer: Writer<Row> = {
    write: async (rows) => void written.push(...rows),
    submit(rows) {
      const acked = answer(rows).then((dead) => {
        written.push(...rows.filter((r) => !dead.includes(r)))
        return dead
      })
      return { acked, stored: acked.then(() => undefined) }
    },
    flush: async () => {},
    shutdown: async () => {},
    stats: () => ({ inserts: 0, rowsWritten: written.length, failedInserts: 0, refusedRows: 0, pendingRows: 0, retries: 0, deadLetteredRows: 0 }),
  }
  return { writer, written }
}

function memorySalts(fail = false): SaltStore {
  const bytes = randomBytes(32)
  const salt = { appId: 'app-a', period: 20_000, generation: 1, salt: bytes, retiresAt: Infinity, orgKey: orgKeyOf(bytes, 'app-a', 20_000) }
  return {
    current: async () => {
      if (fail) throw new Error('salts table unreachable')
      return salt
    },
    compatKey: async () => salt.salt,
    held: () => [salt],
    purgeExpired: async () => 0,
    overdueSeconds: async () => 0,
  }
}

function core(overrides: Partial<IngestDeps> = {}) {
  const events = memoryWriter<EventRow>()
  const quarantine = memoryWriter<QuarantineRow>()
  const metrics = createMetrics({ defaultMetrics: false })
  const ingest = createIngest({
    config: CONFIG, pipeline, salts: memorySalts(), writer: events.writer, quarantine: quarantine.writer,
    dedup: createIdDedup(10_000), rateLimiter: createRateLimiter(100), metrics, now: Date.now, verifyFastPath: verifyAgainstZod,
    ...overrides,
  })
  return { ingest, rows: events.written, quarantined: quarantine.written, metrics }
}

function request(events: unknown[], overrides: Partial<IngestRequest> = {}): IngestRequest {
  return {
    app: app(), key: 'wk_testtesttest', clientIp: '81.2.69.160', userAgent: CHROME_UA, gpc: false, sentByBrowser: true,
    sentAt: Date.now(), parts: [{ context: { lang: 'de-DE' }, events }], ...overrides,
  }
}

function resultOf(outcome: IngestOutcome): IngestResult {
  if (outcome.refused) throw new Error(`refused: ${outcome.message}`)
  return outcome.result
}

describe('ingestion core', () => {
  it('stores valid events as anonymised rows and answers how many', async () => {
    const { ingest, rows, metrics } = core()
    const result = resultOf(await ingest(request([event({ user_id: 'anna@example.com' }), event()])))
    expect(result).toEqual({ accepted: 2, rejected: [], dropped: [] })
    expect(rows).toHaveLength(2)
    expect(rows[0]![11]).toBe('GB') // country, from the truncated address
    expect(JSON.stringify(rows)).not.toMatch(/anna@example\.com|81\.2\.69/)
    expect(metrics.get('accepted_events_total', { app: 'app-a' })).toBe(2)
  })

  it('rejects an invalid event without taking its batch down, and quarantines its shape only', async () => {
    const { ingest, rows, quarantined } = core()
    const bad = { id: 'not-a-uuid', name: 'login', ts: Date.now(), props: { email: 'jane.roe@example.com' } }
    const result = resultOf(await ingest(request([event(), bad, event()])))
    expect(result.accepted).toBe(2)
    expect(result.rejected).toEqual([{ index: 1, reason: 'id must be a UUID of version 4 or 7' }])
    expect(rows).toHaveLength(2)
    expect(quarantined).toHaveLength(1)
    expect(quarantined[0]!.slice(0, 4)).toEqual(['app-a', expect.any(Number), 1, 'id must be a UUID of version 4 or 7'])
    expect(JSON.stringify(quarantined)).not.toContain('jane.roe')
  })

  it('drops the part a bot sent from a browser, and a GPC request, as dropped and not rejected', async () => {
    const bot = core()
    const byBot = resultOf(await bot.ingest(request([event(), event()], { userAgent: GOOGLEBOT })))
    expect(byBot.accepted).toBe(0)
    expect(byBot.rejected).toEqual([])
    expect(byBot.dropped.map((d) => [d.index, d.reason])).toEqual([[0, 'bot'], [1, 'bot']])
    expect(bot.rows).toHaveLength(0)
    expect(bot.metrics.get('dropped_events_total', { app: 'app-a', reason: 'bot' })).toBe(2)

    const gpc = core()
    const withGpc = resultOf(await gpc.ingest(request([event()], { gpc: true })))
    expect(withGpc.dropped).toEqual([{ index: 0, reason: 'gpc', message: expect.stringContaining('Global Privacy Control') }])
    expect(gpc.rows).toHaveLength(0)
  })

  it('runs each part with its own sender, indexes counting across the parts', async () => {
    const { ingest, rows } = core()
    const parts = [
      { context: { lang: 'de-DE' }, events: [event()] },
      // A server-side sender: its library's User-Agent is no bot signal, its events are kept.
      { context: { lang: 'en-GB' }, serverSide: true, events: [event(), { name: 'Bad Name' }] },
    ]
    // A browser request whose User-Agent is an HTTP library's: a bot, for the browser's part only.
    const result = resultOf(await ingest(request([], { userAgent: 'python-requests/2.31.0', sentByBrowser: true, parts })))
    expect(result.dropped.map((d) => [d.index, d.reason])).toEqual([[0, 'bot']])
    expect(result.accepted).toBe(1)
    expect(result.rejected.map((r) => r.index)).toEqual([2])
    expect(rows.map((r) => r[18])).toEqual(['en-GB']) // lang of the part's context
  })

  it('refuses a write key over its rate with the seconds to wait, and stores nothing', async () => {
    let clock = Date.now()
    const { ingest, rows, metrics } = core({ rateLimiter: createRateLimiter(1, () => clock) })
    const limited = { ...app(), rate_limit_rps: 1 }
    resultOf(await ingest(request([event()], { app: limited })))
    const refused = await ingest(request([event()], { app: limited }))
    expect(refused).toEqual({ refused: 'rate_limited', retryAfterSeconds: 1, message: 'too many requests for this write key; retry in 1 s' })
    expect(rows).toHaveLength(1)
    expect(metrics.get('rate_limited_total', { app: 'app-a' })).toBe(1)
    clock += 1000
    expect(resultOf(await ingest(request([event()], { app: limited }))).accepted).toBe(1)
  })

  it('throws StorageUnavailableError when the writer cannot commit, and when the salts cannot be read', async () => {
    const down = memoryWriter<EventRow>(async () => {
      throw new StorageUnavailableError('the writer is full', 'overloaded')
    })
    const failing = core({ writer: down.writer })
    const error = await failing.ingest(request([event()])).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageUnavailableError)
    expect(error).toMatchObject({ reason: 'overloaded', message: 'events not stored: the writer is full' })

    const noSalts = core({ salts: memorySalts(true) })
    await expect(noSalts.ingest(request([event()]))).rejects.toMatchObject({ name: 'StorageUnavailableError', reason: 'failed' })
    expect(noSalts.rows).toHaveLength(0)
  })

  it('answers 503-worthy when the writer does not commit within WRITER_TIMEOUT_MS', async () => {
    const stuck = memoryWriter<EventRow>(() => new Promise<EventRow[]>(() => {}))
    const { ingest } = core({ writer: stuck.writer, config: { ...CONFIG, WRITER_TIMEOUT_MS: 100 } })
    await expect(ingest(request([event()]))).rejects.toMatchObject({ name: 'StorageUnavailableError', reason: 'timeout' })
  })

  it('names the events storage refused for their data as rejected, and counts a resent batch once', async () => {
    const events = [event(), event(), event()]
    const refusing = memoryWriter<EventRow>(async (rows) => rows.filter((r) => r[1] === events[1]!.id))
    const { ingest } = core({ writer: refusing.writer })
    const first = resultOf(await ingest(request(events)))
    expect(first.accepted).toBe(2)
    expect(first.rejected).toEqual([{ index: 1, reason: 'storage refused this event\'s data' }])
    expect(refusing.written.map((r) => r[1])).toEqual([events[0]!.id, events[2]!.id])
    const again = core()
    const sent = [event(), event()]
    resultOf(await again.ingest(request(sent)))
    expect(resultOf(await again.ingest(request(sent))).accepted).toBe(2)
    expect(again.rows).toHaveLength(2)
    expect(again.metrics.get('duplicate_events_total', { app: 'app-a' })).toBe(2)
  })

  it('judges every event it parses with the verifier it was built with', async () => {
    const seen: unknown[] = []
    const { ingest } = core({ verifyFastPath: (what, raw) => void seen.push([what, raw]) })
    const events = [event(), { id: 'x' }]
    await ingest(request(events))
    expect(seen).toEqual([['event', events[0]], ['event', events[1]]])
  })
})
