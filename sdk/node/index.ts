// The on-prem Node SDK (issue 3): `createVeil` anonymises events inside the application
// (PRIVACY.md 11), appends them to a disk queue under `queueDir` and drains it to
// `${endpoint}/v1/batch`. app_start on init, app_stop on orderly exit, app_crash on crashes.
import { hostname, platform, release, userInfo } from 'node:os'
import { mkdirSync } from 'node:fs'
import { LIMITS, type CatalogProps, type Props, type WireEvent } from '../core/catalog.ts'
import { DEFAULT_BACKOFF, type BackoffOptions } from '../core/backoff.ts'
import { cleanPath } from '../core/path.ts'
import type { Track } from '../core/track-types.ts'
import { createUuid } from '../core/uuid.ts'
import { crashProps } from './crash-event.ts'
import { createDiskQueue, type QueueDrops } from './disk-queue.ts'
import { installLifecycle } from './lifecycle.ts'
import { createIdHasher, loadLocalSalt } from './local-salt.ts'
import { osInfo } from './os-context.ts'
import type { ProxyEnv } from './proxy.ts'
import { scrubText, type LocalNames } from './scrub.ts'
import { createSender, type SendDrops } from './sender.ts'
import { createTransport } from './transport.ts'

export type { CatalogName, CatalogProps, Props } from '../core/catalog.ts'
export type { CatalogArgs, Track } from '../core/track-types.ts'

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
  backoff?: BackoffOptions
  now?: () => number
  random?: () => number
}

export interface VeilStats {
  queuedBytes: number
  dropped: QueueDrops & SendDrops
}

export interface Veil {
  track: Track<Ids>
  page(path: string, props?: Props, ids?: Ids): void
  /** Sets the current user (and sends `login`); `track` can name another one per event. */
  login(userId: string, props?: CatalogProps<'login'>, ids?: Ids): void
  logout(props?: CatalogProps<'logout'>, ids?: Ids): void
  feedback(f: CatalogProps<'feedback'>, ids?: Ids): void
  consent(c: Consent): void
  flush(): Promise<void>
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
  const names = localNames()
  const queue = createDiskQueue({ dir: o.queueDir, maxBytes: o.maxQueueBytes, segmentBytes: Math.min(256 * 1024, Math.floor(o.maxQueueBytes / 4)) })
  let consent = o.consent
  let stopped = false
  let crashed = false
  let stopRecorded = false
  let current: Ids = { sessionId: createUuid() }
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
  })
  const interval = setInterval(() => void sender.drain(), o.flushIntervalMs).unref()

  /** Anonymise first, then buffer (PRIVACY.md 1): only hashed ids and scrubbed strings reach the disk. */
  function record(name: string, props?: Props, ids?: Ids): void {
    if (stopped || consent === 'denied') return
    const who = { ...current, ...ids }
    const event: WireEvent = { id: createUuid(), name, ts: now() }
    if (who.userId) event.user_id = hash('user', who.userId)
    if (who.sessionId) event.session_id = hash('session', who.sessionId)
    if (who.orgId) event.org_id = hash('org', who.orgId)
    if (props) event.props = scrubProps(props, names)
    queue.append(event)
    if (++recorded % o.batchSize === 0) void sender.drain()
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
    flush: () => sender.drain(),
    shutdown(timeoutMs = 5000) {
      shutdownPromise ??= (async () => {
        if (!stopRecorded) recordStop()
        clearInterval(interval)
        let timer: NodeJS.Timeout | undefined
        await Promise.race([sender.drain(), new Promise((r) => (timer = setTimeout(r, timeoutMs).unref()))])
        clearTimeout(timer)
        stopped = true
        sender.stop()
        uninstall()
        queue.close()
      })()
      return shutdownPromise
    },
    stats: () => ({ queuedBytes: queue.bytes, dropped: { ...queue.drops, ...sender.drops } }),
  }

  record('app_start', o.appVersion ? { version: o.appVersion } : undefined)
  void sender.drain()
  return veil
}

/** The user and host names of this machine, scrubbed from every string that leaves. */
function localNames(): LocalNames {
  let user: string | undefined
  try {
    user = userInfo().username
  } catch {}
  return { user, host: hostname() }
}

function scrubProps(props: Props, names: LocalNames): Props {
  const out: Props = {}
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue
    // Route paths are paths of the app, not of the file system; they only lose query and fragment.
    out[k] = typeof v !== 'string' ? v : k === 'path' || k === 'referrer_path' ? cleanPath(v) : scrubText(v, names, k === 'text' ? LIMITS.maxFeedbackTextLength : undefined)
  }
  return out
}
