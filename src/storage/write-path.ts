// The write path of one node, built from config: the events insert (commit/events-insert.ts), the
// store check, the spool or the direct group-commit writer, the quarantine writer that dead
// letters also go to, the retry memory seeded from what is stored, the stored-ids filter's load,
// and their orderly close. The server builds it once (boot/start-veil.ts); the CLI shares its
// insert settings (cli/spool-commands.ts).
import { spoolDirOf, type Config } from '../config.ts'
import type { EventRow } from '../pipeline/types.ts'
import type { Logger } from '../observability/logger.ts'
import type { Metrics } from '../observability/metrics.ts'
import { errorFields } from '../observability/log-error.ts'
import { timedInsert, timedStoredIds } from '../observability/server-metrics.ts'
import type { TrackedStorage } from './clickhouse/in-flight.ts'
import { createWriter, type Writer } from './commit/writer.ts'
import { createSpoolWriter } from './commit/spool-writer.ts'
export { eventsInsertSettings, insertEventsBody } from './commit/events-insert.ts'
import { directInsert, insertEventsBody, openStoreCheck, spoolInsert, tokenOfRows, type InsertFn, type SpoolInsertFn } from './commit/events-insert.ts'
import { createIdDedup, type IdDedup } from './dedup/retry-memory.ts'
import { recordLateRetryLookup, skipStoredLateRetries } from './dedup/late-retries.ts'
import { deadLetterToQuarantine } from './rows/dead-letter-rows.ts'
import type { QuarantineRow } from './rows/quarantine-row.ts'
import { eventIdsOf } from './rows/rows-format.ts'
import { openSpool } from './spool/spool.ts'
import { registerSpoolMetrics } from './spool/metrics.ts'
import type { SpoolFs } from './spool/spool-fs.ts'
import type { Spool } from './spool/types.ts'

export interface WritePathOptions {
  config: Config
  storage: TrackedStorage
  metrics: Metrics
  logger: Logger
  /** The clock that stamps received_at: the retry memory is seeded by it. */
  now: () => number
  /** Replaces the events insert (direct mode), e.g. with one that fails. */
  wrapInsert?: (insert: InsertFn) => InsertFn
  /** Replaces the spool's inserts into ClickHouse, e.g. with one that fails. */
  wrapSpoolInsert?: (insert: SpoolInsertFn) => SpoolInsertFn
  /** The spool's file operations, e.g. a disk that fills up (test/faults). */
  spoolFs?: SpoolFs
  /**
   * The writer as every way in sees it, e.g. one that refuses while the clocks disagree
   * (clock/clock-check.ts guardWrites, given by boot/start-veil.ts: storage imports no clock).
   */
  guard?: (writer: Writer<EventRow>) => Writer<EventRow>
}

export interface WritePath {
  writer: Writer<EventRow>
  quarantine: Writer<QuarantineRow>
  /** The retry memory (dedup/retry-memory.ts), seeded with replayed and recently stored ids. */
  retryMemory: IdDedup
  /** The write-ahead spool, with WRITE_MODE=spool. */
  spool?: Spool
  /** Why this node should not get traffic (the spool's trouble); undefined when fine. */
  trouble(): string | undefined
  /**
   * Flushes what it can within `ms` and stops. Resolves with whether storage may close now:
   * false while a call into ClickHouse still runs (its work is left to the spool's replay, or to
   * the client's retry in direct mode).
   */
  close(ms: number): Promise<{ storageIdle: boolean }>
}

export async function openWritePath(o: WritePathOptions): Promise<WritePath> {
  const { config, storage, metrics, logger } = o
  const insertBody = insertEventsBody(storage, config)
  const check = await openStoreCheck(config, storage, (s) => timedStoredIds(metrics, s))
  const quarantine = createWriter<QuarantineRow>({
    insert: timedInsert(metrics, 'quarantine', async (rows: QuarantineRow[]) => {
      await storage.client.insert({ table: 'quarantine', values: rows, format: 'JSONCompactEachRow' })
    }),
    tokenOf: () => '',
    maxRows: 10_000,
    maxDelayMs: 200,
    maxPendingRows: 100_000,
  })
  // Rows ClickHouse refuses for their data (poison.ts): quarantined, counted, logged.
  const onDeadLetter = (rows: EventRow[], reason: string) => {
    logger.error({ rows: rows.length, reason }, 'rows refused by ClickHouse for their data; dead-lettered')
    quarantine.write(deadLetterToQuarantine(rows, reason)).catch(() => metrics.inc('quarantine_write_failures_total'))
  }
  const replayedIds: string[] = []
  let spool: Spool | undefined
  let writer: Writer<EventRow>
  if (config.WRITE_MODE === 'spool') {
    spool = await openEventsSpool(o, spoolInsert(insertBody, check), onDeadLetter, replayedIds)
    writer = createSpoolWriter(spool, config.SHUTDOWN_TIMEOUT_MS)
    registerSpoolMetrics(metrics, spool)
  } else {
    const base = directInsert(insertBody, check)
    writer = createWriter<EventRow>({
      insert: timedInsert(metrics, 'events', o.wrapInsert ? o.wrapInsert(base) : base),
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
  // in events by app, day and name (dedup/late-retries.ts).
  if (config.DEDUP_STORE_CHECK) {
    const backlog = spool
    writer = skipStoredLateRetries(writer, {
      client: storage.client, now: o.now, onLookup: (s, looked, found) => recordLateRetryLookup(metrics, s, looked, found),
      // In spool mode a late retry's first attempt may still be in the backlog: fed first.
      settled: backlog && ((ms) => backlog.fedUpTo(ms)),
    })
  }
  if (o.guard) writer = o.guard(writer)
  const retryMemory = await seedRetryMemory(o, replayedIds)
  const filterLoad = loadStoredIdsFilter(o, check !== undefined)

  return {
    writer,
    quarantine,
    retryMemory,
    spool,
    trouble: () => spool?.health()?.message,
    async close(ms) {
      const end = Date.now() + ms
      const left = () => Math.max(0, end - Date.now())
      const bounded = (p: Promise<unknown>) => Promise.race([p, new Promise<void>((r) => setTimeout(r, left()).unref())])
      // The spool bounds its own close; the writers are raced against what is left.
      if (spool) await spool.close(left())
      else await bounded(writer.shutdown())
      await bounded(quarantine.shutdown())
      if (filterLoad) await bounded(filterLoad)
      return { storageIdle: await storage.idle(left()) }
    },
  }
}

async function openEventsSpool(o: WritePathOptions, insert: SpoolInsertFn, onDeadLetter: (rows: EventRow[], reason: string) => void, replayedIds: string[]): Promise<Spool> {
  const { config, logger, metrics } = o
  const dir = spoolDirOf(config)
  const spool = await openSpool({
    dir,
    insert: timedInsert(metrics, 'events', o.wrapSpoolInsert ? o.wrapSpoolInsert(insert) : insert),
    maxBytes: config.SPOOL_MAX_BYTES,
    segmentBytes: config.SPOOL_SEGMENT_BYTES,
    insertRows: config.SPOOL_INSERT_ROWS,
    feedDelayMs: config.SPOOL_FEED_DELAY_MS,
    groupsInFlight: config.SPOOL_GROUPS_IN_FLIGHT,
    minFreeBytes: config.SPOOL_MIN_FREE_BYTES,
    feederRoomBytes: config.SPOOL_FEEDER_ROOM_BYTES ?? 2 * config.SPOOL_SEGMENT_BYTES,
    fs: o.spoolFs,
    onInsertError: (e) => logger.warn({ error: errorFields(e) }, 'spool insert failed; retrying'),
    onDeadLetter: (rows, reason) => onDeadLetter(rows, `${reason} (in ${dir}/dead-letter.jsonl)`),
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
  return spool
}

/**
 * The retry memory, with the ids the spool replays and those stored in the last hour, so a retry
 * across a restart is stored once. The hour is measured on the clock that stamped received_at
 * (this process's `now`), not the engine's now64(): in production both are the wall clock, but
 * an injected clock must agree with the rows it stamped.
 */
async function seedRetryMemory(o: WritePathOptions, replayedIds: string[]): Promise<IdDedup> {
  const { config, storage, now } = o
  const memory = createIdDedup(config.DEDUP_WINDOW_IDS)
  memory.remember(replayedIds.splice(0))
  if (config.DEDUP_WINDOW_IDS > 0) {
    const rs = await storage.client.query({
      query: 'SELECT toString(event_id) AS id FROM events WHERE received_at > fromUnixTimestamp64Milli({since:Int64}) ORDER BY received_at DESC LIMIT {n:UInt32}',
      query_params: { n: config.DEDUP_WINDOW_IDS, since: now() - 3600_000 },
      format: 'JSONCompactEachRow',
    })
    memory.remember((await rs.json<[string]>()).map((r) => r[0]))
  }
  return memory
}

/**
 * In the background: until the filter holds what recent_event_ids held at start, every id is
 * looked up as before. Ids stored meanwhile are added as they are stored.
 */
function loadStoredIdsFilter(o: WritePathOptions, checking: boolean): Promise<void> | undefined {
  const { storage, logger } = o
  const ids = checking ? storage.storedIds : undefined
  if (!ids) return undefined
  return storage.track(ids.load()).then(
    (loadedIds) => logger.info({ loadedIds, filterBytes: ids.filter.stats().bytes }, 'stored-ids filter loaded: the store check now looks up only the ids it may hold'),
    (e: unknown) => logger.warn({ error: errorFields(e) }, 'stored-ids filter not loaded; every id is looked up'),
  )
}
