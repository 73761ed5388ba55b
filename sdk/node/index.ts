// The on-prem Node SDK (issue 3): `createVeil` anonymises events inside the application
// (PRIVACY.md 11), appends them to a disk queue under `queueDir` and drains it to
// `${endpoint}/v1/batch`. app_start on init, app_stop on orderly exit, app_crash on crashes.
import { platform, release } from 'node:os'
import { mkdirSync } from 'node:fs'
import { LIMITS, type CatalogProps, type Props, type WireEvent } from '../core/catalog.ts'
import { DEFAULT_BACKOFF, type BackoffOptions } from '../core/backoff.ts'
import { cleanPath } from '../core/path.ts'
import type { Track } from '../core/track-types.ts'
import { createUuid } from '../core/uuid.ts'
import { crashProps } from './crash-event.ts'
import { createDiskQueue, type QueueDrops } from './disk-queue.ts'
import { installLifecycle } from './lifecycle.ts'
import { createIdHasher, loadInstallationId, loadLocalSalt } from './local-salt.ts'
import { createNameScrubber, createPathScrubber, localNames } from './local-names.ts'
import { osInfo } from './os-context.ts'
import type { ProxyEnv } from './proxy.ts'
import { scrubText, type LocalNames } from './scrub.ts'
import { createSender } from './sender.ts'
import { createTransport } from './transport.ts'
import type { FlushResult, Stats, VeilError } from '../core/report.ts'

// The typed tracking an application writes (sdk/README.md "Tracking plan and generated types"),
// from the package's entry point: `exports` allows no deep import of sdk/core.
export type { CatalogName, CatalogProps, Props, PropKind } from '../core/catalog.ts'
export type { CatalogArgs, PlanTrack, Track } from '../core/track-types.ts'
export type { LocalNames } from './scrub.ts'
export type { DropCounts, FlushResult, Stats, VeilError, VeilErrorType } from '../core/report.ts'

/** Where the SDK logs: console (the default), pino and most loggers fit. */
export interface VeilLogger {
  warn(message: string): void
}

export type Consent = 'granted' | 'pending' | 'denied'

/** Raw ids of whom an event is about; hashed with the local salt before they touch the disk. */
export interface Ids {
  userId?: string
  sessionId?: string
  orgId?: string
}

export interface VeilNodeOptions {
  /** Base URL of the Veil server; events go to `${endpoint}/v1/batch`. */
  endpoint: string
  key: string
  appVersion?: string
  /** Directory of the disk queue and the local salt; one running process per directory. */
  queueDir: string
  /** Default `granted`: the data is anonymised before it leaves; `pending` keeps it on disk unsent. */
  consent?: Consent
  /** Send once this many events were recorded (default 10) ... */
  batchSize?: number
  /** ... or at this interval (default 5000 ms). */
  flushIntervalMs?: number
  /** Bytes the disk queue may hold; the oldest events are dropped beyond it (default 16 MiB). */
  maxQueueBytes?: number
  /** Record app_crash on uncaught exceptions and unhandled rejections (default true). */
  captureCrashes?: boolean
  /** Record app_stop and flush on beforeExit, exit, SIGTERM and SIGINT (default true). */
  captureExit?: boolean
  /** Longest a request may take (default 30 s). */
  timeoutMs?: number
  /** Where HTTPS_PROXY, HTTP_PROXY and NO_PROXY are read (default process.env). */
  env?: ProxyEnv
  /**
   * Hears of every event given up (a rejection, a policy drop, ...), once each, and of every
   * failed delivery attempt (`delivery_failed`, and `unauthorized` while the events are kept),
   * with its cause and the queue depth.
   */
  onError?: (error: VeilError) => void
  /** Log every such report through `logger` as well (default false). */
  debug?: boolean
  /** Where a wrong key is logged (always, once) and, in debug mode, every report (default console). */
  logger?: VeilLogger
  /**
   * How long events the server refused for their key (401, 403) stay on disk and are retried,
   * every few minutes, from the first refusal on (default 7 days): a revoked or mistyped key that
   * is fixed within it delivers them. 0: give them up at once. The disk bound still applies.
   */
  unauthorizedRetentionMs?: number
  /**
   * The names of this machine to keep in it, in place of what os.userInfo(), os.hostname() and
   * os.homedir() say: for tests, and for a service that runs under an account of another name.
   */
  machine?: LocalNames
  backoff?: BackoffOptions
  now?: () => number
  random?: () => number
}

/** The same shape as the browser SDK's (sdk/core/report.ts). */
export type VeilStats = Stats

export interface Veil {
  track: Track<Ids>
  page(path: string, props?: Props, ids?: Ids): void
  /** Sets the current user (and sends `login`); `track` can name another one per event. */
  login(userId: string, props?: CatalogProps<'login'>, ids?: Ids): void
  logout(props?: CatalogProps<'logout'>, ids?: Ids): void
  feedback(f: CatalogProps<'feedback'>, ids?: Ids): void
  consent(c: Consent): void
  /** Sends now (even during a backoff pause, never before a Retry-After); resolves with what it delivered and what still waits. */
  flush(): Promise<FlushResult>
  /** Records app_stop, sends what it can within `timeoutMs`, releases the queue. Idempotent. */
  shutdown(timeoutMs?: number): Promise<void>
  stats(): VeilStats
}

export function createVeil(options: VeilNodeOptions): Veil {
  const o = { batchSize: 10, flushIntervalMs: 5000, maxQueueBytes: 16 * 1024 * 1024, timeoutMs: 30_000, consent: 'granted' as Consent, ...options }
  const now = o.now ?? Date.now
  const started = now()
  mkdirSync(o.queueDir, { recursive: true })
  const hash = createIdHasher(loadLocalSalt(o.queueDir))
  const names = { ...localNames(), ...o.machine }
  const scrubName = createNameScrubber(names)
  const scrubPath = createPathScrubber(names)
  const logger: VeilLogger = o.logger ?? console
  let keyLogged = false
  /** Every loss reaches onError once, and the log in debug mode; a wrong key is logged anyway. */
  const report = (e: VeilError) => {
    if (e.type === 'unauthorized' && !keyLogged) {
      keyLogged = true
      logger.warn(e.keptUntil === undefined ? `[veil] the server refused the write key (${e.message}); events are not stored until the key is fixed` : `[veil] ${e.message}`)
    } else if (o.debug) logger.warn(`[veil] ${e.type}: ${e.message} (${e.count} event${e.count === 1 ? '' : 's'})`)
    try {
      o.onError?.(e)
    } catch {}
  }
  const queue = createDiskQueue({ dir: o.queueDir, maxBytes: o.maxQueueBytes, segmentBytes: Math.min(256 * 1024, Math.floor(o.maxQueueBytes / 4)) })
  let consent = o.consent
  let stopped = false
  let crashed = false
  let stopRecorded = false
  // No login: the installation is the user of record (issue 11), counted per server salt period.
  let current: Ids = { sessionId: loadInstallationId(o.queueDir) }
  let recorded = 0

  const sender = createSender({
    queue,
    post: createTransport({ endpoint: o.endpoint, env: o.env ?? process.env, timeoutMs: o.timeoutMs }),
    key: o.key,
    context: { app_version: o.appVersion, deployment: 'onprem', os: osInfo(platform(), release()), lang: Intl.DateTimeFormat().resolvedOptions().locale },
    backoff: o.backoff ?? DEFAULT_BACKOFF,
    now,
    random: o.random ?? Math.random,
    canSend: () => consent === 'granted' && !stopped,
    report,
    unauthorizedRetentionMs: o.unauthorizedRetentionMs ?? 7 * 24 * 3600_000,
  })
  const interval = setInterval(() => void sender.drain(), o.flushIntervalMs).unref()

  /** Anonymise first, then buffer (PRIVACY.md 1): only hashed ids and scrubbed strings reach the disk. */
  function record(name: string, props?: Props, ids?: Ids): void {
    if (stopped || consent === 'denied') return
    const who = { ...current, ...ids }
    const event: WireEvent = { id: createUuid(), name: scrubName(name), ts: now() }
    if (who.userId) event.user_id = hash('user', who.userId)
    if (who.sessionId) event.session_id = hash('session', who.sessionId)
    if (who.orgId) event.org_id = hash('org', who.orgId)
    if (props) event.props = scrubProps(props, names, scrubName, scrubPath)
    const lost = queue.drops.queue_overflow
    queue.append(event)
    const over = queue.drops.queue_overflow - lost
    if (over) report({ type: 'queue_overflow', count: over, message: `the disk queue is full (${o.maxQueueBytes} bytes); the oldest events went` })
    if (++recorded % o.batchSize === 0) void sender.drain()
  }

  /** Events that wait for consent when the process ends are kept on disk; the app hears of them once. */
  let pendingReported = false
  function reportPending(): void {
    if (consent !== 'pending' || pendingReported || !queue.count) return
    pendingReported = true
    report({ type: 'consent_pending', count: queue.count, message: `${queue.count} events wait on disk for consent; they are sent once consent is granted` })
  }

  function recordStop(): void {
    stopRecorded = true
    record('app_stop', { uptime_ms: now() - started })
  }

  const track = ((name: string, props?: Props, ids?: Ids) => record(name, props, ids)) as Track<Ids>

  let shutdownPromise: Promise<void> | undefined
  const uninstall = installLifecycle(
    {
      crash(error, fatal) {
        crashed = fatal
        record('app_crash', crashProps(error, fatal, names))
      },
      exitSync() {
        if (!stopRecorded && !crashed) recordStop()
        reportPending()
        stopped = true
      },
      shutdown: () => veil.shutdown(),
    },
    { captureCrashes: o.captureCrashes !== false, captureExit: o.captureExit !== false },
  )

  const veil: Veil = {
    track,
    page: (path, props, ids) => record('page_view', { ...props, path: cleanPath(path) }, ids),
    login(userId, props, ids) {
      current = { ...current, userId }
      record('login', props, ids)
    },
    logout(props, ids) {
      record('logout', props, ids)
      current = { sessionId: current.sessionId, orgId: current.orgId }
    },
    feedback: (f, ids) => record('feedback', f, ids),
    consent(c) {
      consent = c
      if (c === 'denied') queue.clear()
      else void sender.drain()
    },
    async flush() {
      const before = sender.delivered
      await sender.drain(true)
      return { delivered: sender.delivered - before, queued: queue.count }
    },
    shutdown(timeoutMs = 5000) {
      shutdownPromise ??= (async () => {
        if (!stopRecorded) recordStop()
        clearInterval(interval)
        let timer: NodeJS.Timeout | undefined
        await Promise.race([sender.drain(), new Promise((r) => (timer = setTimeout(r, timeoutMs).unref()))])
        clearTimeout(timer)
        reportPending()
        stopped = true
        sender.stop()
        uninstall()
        queue.close()
      })()
      return shutdownPromise
    },
    stats: () => ({ queued: queue.count, delivered: sender.delivered, dropped: { ...queue.drops, ...sender.drops } }),
  }

  record('app_start', o.appVersion ? { version: o.appVersion } : undefined)
  void sender.drain()
  return veil
}

function scrubProps(props: Props, names: LocalNames, scrubName: (s: string) => string, scrubPath: (s: string) => string): Props {
  const out: Props = {}
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue
    // Route paths are paths of the app, not of the file system: they lose query and fragment,
    // and segments that hold this machine's names.
    out[scrubName(k)] = typeof v !== 'string' ? v : k === 'path' || k === 'referrer_path' ? scrubPath(cleanPath(v)) : scrubText(v, names, k === 'text' ? LIMITS.maxFeedbackTextLength : undefined)
  }
  return out
}
