// Drains the disk queue to the server, one request at a time within LIMITS, oldest first. A
// retryable answer (408, 429, 5xx, no answer) pauses the drain per core/backoff.ts and is
// reported with its cause; a refused key (401, 403) keeps the events for a while and retries
// slowly (issue 28); another final 4xx gives the batch up and counts it (EVENTS.md "Response").
import { LIMITS, type BatchContext } from '../core/catalog.ts'
import { parseRetryAfter, retryDelay, type BackoffOptions } from '../core/backoff.ts'
import { byteLength, fitBatch } from '../core/batch.ts'
import { classifyStatus } from '../core/outcome.ts'
import { reportsOf, type Answer, type DropCounts, type VeilError } from '../core/report.ts'
import type { DiskQueue } from './disk-queue.ts'
import type { PostBatch } from './transport.ts'

export interface SenderOptions {
  queue: DiskQueue
  post: PostBatch
  key: string
  context: BatchContext
  backoff: BackoffOptions
  now: () => number
  random: () => number
  /** False while consent is not granted or the SDK is shut down. */
  canSend: () => boolean
  /** Hears of every event given up (and why), once, and of every failed delivery attempt. */
  report: (e: VeilError) => void
  /** How long events refused for their key stay queued and retried; 0 gives them up at once. */
  unauthorizedRetentionMs: number
}

/**
 * The slowest pace of retries while the key is refused: a fixed key (a revoked one restored in
 * the apps file, a typo corrected) delivers within this, and a week of refusals costs at most
 * about 2000 requests. Capped by the backoff's own maximum, so tests can shorten it.
 */
export const UNAUTHORIZED_RETRY_MS = 5 * 60_000

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`

export type SendDrops = Pick<DropCounts, 'client_error' | 'rejected' | 'dropped' | 'too_large'>

export interface Sender {
  /**
   * Sends until the queue is empty or a retry pause begins; one drain at a time. `now`: try at
   * once even during a backoff pause (an explicit flush), though never before a Retry-After.
   */
  drain(now?: boolean): Promise<void>
  readonly drops: SendDrops
  /** Events the server accepted since start. */
  readonly delivered: number
  /** Consecutive failed attempts (0 after a success). */
  readonly attempt: number
  stop(): void
}

export function createSender(o: SenderOptions): Sender {
  const drops: SendDrops = { client_error: 0, rejected: 0, dropped: 0, too_large: 0 }
  let delivered = 0
  let attempt = 0
  let notBefore = 0
  /** The part of the pause the server asked for (Retry-After), which even a flush honours. */
  let askedUntil = 0
  let running: Promise<void> = Promise.resolve()
  // Set and cleared synchronously: a settled `running` may not have run its callbacks yet.
  let looping = false
  let retryTimer: NodeJS.Timeout | undefined
  /** When the server first refused the key in the current run of refusals. */
  let refusedSince: number | undefined

  const envelopeBytes = () => byteLength(JSON.stringify({ key: o.key, sent_at: o.now(), context: o.context, events: [] }))

  async function loop(): Promise<void> {
    // Nothing awaited before the loop ends: when there is nothing to send, `looping` clears
    // synchronously, before the caller's next drain() can see it.
    try {
      while (o.canSend()) {
        const wait = notBefore - o.now()
        if (wait > 0) {
          // The pause outlives this drain; unref'd so that it never keeps the application alive.
          clearTimeout(retryTimer)
          retryTimer = setTimeout(() => void drain(), wait).unref()
          return
        }
        const envelope = envelopeBytes()
        const sizes: number[] = []
        const peeked = o.queue.peek((events, candidate) => {
          const size = byteLength(JSON.stringify(candidate))
          const n = fitBatch([...sizes, size], envelope, LIMITS.sdkMaxEventsPerRequest, LIMITS.sdkMaxRequestBytes)
          // An event too large to ever fit is taken alone, then given up below.
          if (n <= events.length && events.length > 0) return false
          sizes.push(size)
          return true
        })
        if (!peeked.events.length) {
          if (peeked.corrupt) o.queue.ack(peeked)
          return
        }
        if (fitBatch(sizes, envelope, LIMITS.sdkMaxEventsPerRequest, LIMITS.sdkMaxRequestBytes) === 0) {
          drops.too_large++
          o.queue.ack(peeked)
          o.report({ type: 'too_large', count: 1, event: peeked.events[0]!.name, message: `${peeked.events[0]!.name} is larger than a request may be (${LIMITS.sdkMaxRequestBytes} bytes)` })
          continue
        }
        const result = await o.post(JSON.stringify({ key: o.key, sent_at: o.now(), context: o.context, events: peeked.events }))
        const verdict = classifyStatus(result.status)
        const count = peeked.events.length
        if (verdict === 'retry') {
          const asked = parseRetryAfter(result.retryAfter, o.now())
          const delay = retryDelay(attempt++, asked, o.random, o.backoff)
          notBefore = o.now() + delay
          askedUntil = asked === undefined ? 0 : o.now() + asked
          const cause = result.status === 0 ? (result.error ?? 'no answer') : `HTTP ${result.status}`
          o.report({ type: 'delivery_failed', count, cause, queued: o.queue.count, retryInMs: delay, ...(result.status ? { status: result.status } : {}),
            message: `delivery failed (${cause}); ${o.queue.count} events queued, next try in ${seconds(delay)}` })
          continue
        }
        if (result.status === 401 || result.status === 403) {
          refusedSince ??= o.now()
          const keptUntil = refusedSince + o.unauthorizedRetentionMs
          if (o.now() < keptUntil) {
            const delay = Math.max(Math.min(UNAUTHORIZED_RETRY_MS, o.backoff.maxMs), retryDelay(attempt++, undefined, o.random, o.backoff))
            notBefore = o.now() + delay
            askedUntil = 0
            const cause = (result.body as { error?: string } | undefined)?.error || `HTTP ${result.status}`
            o.report({ type: 'unauthorized', status: result.status, count, cause, queued: o.queue.count, retryInMs: delay, keptUntil,
              message: `the server refused the write key (${cause}); ${o.queue.count} events are kept on disk until ${new Date(keptUntil).toISOString()} and sent once the key is accepted (next try in ${seconds(delay)})` })
            continue
          }
        } else refusedSince = undefined
        attempt = 0
        const body = result.body as Answer | undefined
        if (verdict === 'drop') drops.client_error += count
        else {
          drops.rejected += body?.rejected?.length ?? 0
          drops.dropped += body?.dropped?.length ?? 0
          delivered += typeof body?.accepted === 'number' ? body.accepted : count
        }
        o.queue.ack(peeked)
        for (const e of reportsOf(result.status, body, peeked.events.map((x) => x.name))) o.report(e)
      }
    } finally {
      looping = false
    }
  }

  function drain(now = false): Promise<void> {
    if (now && !looping) notBefore = Math.min(notBefore, askedUntil)
    if (!looping) {
      looping = true
      running = loop()
    }
    return running
  }

  return {
    drain,
    drops,
    get delivered() {
      return delivered
    },
    get attempt() {
      return attempt
    },
    stop() {
      clearTimeout(retryTimer)
    },
  }
}
