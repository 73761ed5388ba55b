// Retries later than recent_event_ids' two hours: an SDK's persisted queue (localStorage in the
// browser, the Node SDK's disk queue) keeps an unanswered batch with no age limit, and the server
// takes events up to MAX_EVENT_AGE_HOURS (30 days) old. Such a retry is found in events itself.
import type { ClickHouseClient } from '@clickhouse/client'
import type { EventRow } from '../../pipeline/types.ts'
import type { Metrics } from '../../observability/metrics.ts'
import { StorageUnavailableError, type Writer } from '../commit/writer.ts'
import { RECENT_IDS_MS } from './stored-ids.ts'

/** Ids per lookup query, as stored-ids.ts. */
const LOOKUP_IDS = 5000
const DAY_MS = 86_400_000

export interface LateRetryOptions {
  client: ClickHouseClient
  /** This node's clock (the one that stamps received_at, checked against the engine's). */
  now: () => number
  /** Called with the time of each lookup and the ids it looked up and found. */
  onLookup?: (seconds: number, looked: number, found: number) => void
  /**
   * Resolves true once every row this node acknowledged before the call is in events, false if
   * not within `ms` (the spool's backlog: Spool.fedUpTo). Without it (direct mode) a 202 already
   * meant inserted.
   */
  settled?: (ms: number) => Promise<boolean>
}

/**
 * How long a group with late rows waits for the spool's backlog to be fed before they are looked
 * up: with waiters the feeder starts at once, so one insert's time; beyond it (the store down) 503.
 */
export const LATE_SETTLE_MS = 5000

/**
 * Which rows of an old `ts` are in events already. The first attempt of an event was received
 * at or after its (corrected) ts, so an event whose ts lies within recent_event_ids' window is
 * covered by it; only older ones, rare in live traffic, are looked up here. events is ordered by
 * (app_id, toDate(ts), name, ...), so the lookup reads the granules of those apps and days only;
 * a retry's corrected ts can differ from its first attempt's by the network's delay, so the
 * neighbouring day counts near midnight. Not by name: a name that is not the plan's is stored
 * as its token under the salt period's key until k people sent it (seal-values.ts), so a retry
 * in the next period, or after the name was published, carries another stored name than the
 * first attempt did (a retry three hours late just after midnight was stored twice).
 */
export function createLateRetryLookup(opts: LateRetryOptions): (rows: EventRow[]) => Promise<Set<string>> {
  return async (rows) => {
    const found = new Set<string>()
    const byApp = new Map<string, EventRow[]>()
    for (const r of rows) byApp.set(r[0], [...(byApp.get(r[0]) ?? []), r])
    const started = performance.now()
    for (const [app, group] of byApp) {
      const days = new Set<string>()
      for (const r of group) {
        for (const t of [r[3] - 3_600_000, r[3], r[3] + 3_600_000]) days.add(new Date(t).toISOString().slice(0, 10))
      }
      for (let at = 0; at < group.length; at += LOOKUP_IDS) {
        const rs = await opts.client.query({
          query:
            'SELECT DISTINCT toString(event_id) FROM events WHERE app_id = {app:String} AND toDate(ts) IN {days:Array(Date)} AND event_id IN {ids:Array(UUID)}',
          query_params: { app, days: [...days], ids: group.slice(at, at + LOOKUP_IDS).map((r) => r[1]) },
          format: 'JSONCompactEachRow',
        })
        for (const [id] of await rs.json<[string]>()) found.add(id)
      }
    }
    opts.onLookup?.((performance.now() - started) / 1000, rows.length, found.size)
    return found
  }
}

/**
 * The writer, leaving out rows of an old ts that events holds already (a late retry): they are
 * answered as accepted, stored once. Rows within recent_event_ids' window (nearly all) pass
 * with one comparison each and no query. Ten minutes of margin under its two hours: its parts
 * expire by the hour, and the clocks may differ by CLOCK_MAX_SKEW_SECONDS (clock-check.ts).
 */
export function skipStoredLateRetries(writer: Writer<EventRow>, opts: LateRetryOptions): Writer<EventRow> {
  const lookup = createLateRetryLookup(opts)
  const recentFrom = () => opts.now() - RECENT_IDS_MS + 10 * 60_000
  const submit: Writer<EventRow>['submit'] = (rows) => {
    const from = recentFrom()
    const late = rows.filter((r) => r[3] < from)
    if (late.length === 0) return writer.submit(rows)
    // A late retry's first attempt may still wait in this node's spool, where no lookup sees it,
    // and fed more than two hours after it was received it is not in recent_event_ids either:
    // both copies were stored. So what was acknowledged before this group is fed first.
    const inner = (opts.settled ? opts.settled(LATE_SETTLE_MS) : Promise.resolve(true))
      .then((fed) => {
        if (!fed) throw new StorageUnavailableError(`events older than two hours wait for the spool's backlog to be fed before they are looked up, and it was not fed within ${LATE_SETTLE_MS} ms`, 'overloaded')
        // A failed lookup is the store failing: a 503 the client retries, as a failed insert is.
        return lookup(late).catch((e: unknown) => Promise.reject(new StorageUnavailableError('the lookup of late retries failed', 'failed', { cause: e })))
      })
      .then((stored) => {
        const fresh = stored.size ? rows.filter((r) => !stored.has(r[1])) : rows
        return fresh.length ? writer.submit(fresh) : { acked: Promise.resolve([]), stored: Promise.resolve() }
      })
    const out = { acked: inner.then((s) => s.acked), stored: inner.then((s) => s.stored) }
    // Whoever submits may watch only one of the two (write() the answer, nothing the outcome).
    out.stored.catch(() => undefined)
    return out
  }
  return {
    ...writer,
    submit,
    write: (rows) => submit(rows).acked.then(() => undefined),
  }
}

/** late_retry_lookup_seconds, late_retry_ids_total and late_retry_stored_total: what the check costs and finds. */
export function recordLateRetryLookup(metrics: Metrics, seconds: number, looked: number, found: number): void {
  metrics.observe('late_retry_lookup_seconds', {}, seconds)
  metrics.inc('late_retry_ids_total', {}, looked)
  metrics.inc('late_retry_stored_total', {}, found)
}
