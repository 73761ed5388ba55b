// Apps and keys change while Veil runs (`veil apps`): the registry is swapped whole, on SIGHUP or
// when APPS_FILE or a plan file beside it changes (fs.watch, debounced). Requests in flight keep
// the registry they started with; a file that is missing, unreadable or invalid is logged at
// error level, counted and shown on /readyz, and the last good apps and keys stay in force.
import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { createAppRegistry, loadAppsFile, type AppConfig, type AppRegistry, type RelaySite } from './apps.ts'
import type { Logger } from '../observability/logger.ts'
import type { Metrics } from '../observability/metrics.ts'
import { errorFields } from '../observability/log-error.ts'

/** What the last reloads found: a stale config still serves, with the last good keys. */
export interface ConfigStatus {
  /** Why the file in force is not the file on disk; undefined once a load succeeds. */
  stale?: string
  /** When the apps in force were loaded (Date.now()). */
  lastGoodAt: number
  /** Reloads that failed since start. */
  failures: number
}

export interface ReloadableRegistry extends AppRegistry {
  /** Reads APPS_FILE again; false (and a log line) when it is invalid. */
  reload(): boolean
  status(): ConfigStatus
  /** Watches APPS_FILE for changes until close(). */
  watch(debounceMs?: number): void
  close(): void
}

/**
 * With `metrics`: veil_config_reload_failures_total, veil_config_stale and the time of the last
 * good load, for an alert on a config that no longer loads. `cli` is how the operator runs the
 * CLI where this server runs (config VEIL_CLI), named in log lines that ask for a command.
 */
export function createReloadableRegistry(path: string, first: readonly AppConfig[], logger: Logger, metrics?: Metrics, cli = 'npm run veil --', firstRelays: readonly RelaySite[] = []): ReloadableRegistry {
  let current = createAppRegistry(first, firstRelays)
  const state: ConfigStatus = { lastGoodAt: Date.now(), failures: 0 }
  const failures = metrics?.counter('config_reload_failures_total')
  metrics?.gauge('config_stale', () => (state.stale ? 1 : 0), '1 while the apps file (or a plan file) on disk cannot be loaded and the last good apps serve.')
  metrics?.gauge('config_last_good_load_timestamp_seconds', () => state.lastGoodAt / 1000, 'When the apps in force were loaded (Unix seconds).')
  const warnClearKeys = (apps: readonly AppConfig[]) => {
    const clear = apps.filter((a) => a.read_keys.some((k) => k.startsWith('rk_'))).map((a) => a.id)
    if (clear.length) logger.warn({ apps: clear }, `read keys stored in clear in the apps file; any \`${cli} apps\` command stores them as hashes`)
  }
  warnClearKeys(first)
  let watcher: FSWatcher | undefined
  let timer: NodeJS.Timeout | undefined

  const reload = () => {
    try {
      // Never creates a demo app: a missing file is a failed reload like an invalid one.
      const loaded = loadAppsFile(path)
      const next = createAppRegistry(loaded.apps, loaded.relays)
      current = next
      state.lastGoodAt = Date.now()
      state.stale = undefined
      warnClearKeys(next.apps)
      logger.info({ apps: next.apps.length }, 'apps file reloaded')
      return true
    } catch (e) {
      const err = e as Error & { cause?: Error }
      const message = `${err.message}${err.cause ? `: ${err.cause.message}` : ''}`.replaceAll('\n', ' ')
      state.failures++
      failures?.inc()
      state.stale = message
      logger.error({ error: errorFields(e), lastGoodAt: new Date(state.lastGoodAt).toISOString() }, 'apps file not reloaded; keeping the last good apps and keys')
      return false
    }
  }

  return {
    get apps() {
      return current.apps
    },
    get: (id) => current.get(id),
    byWriteKey: (key) => current.byWriteKey(key),
    byReadKey: (key) => current.byReadKey(key),
    get relays() {
      return current.relays
    },
    byRelayKey: (key) => current.byRelayKey(key),
    reload,
    status: () => ({ ...state }),
    watch(debounceMs = 200) {
      if (watcher) return
      // The directory, not the file: editors and `veil apps` replace the file by renaming a new
      // one over it, which a watch on the old inode would never see. Kubernetes updates a
      // mounted Secret or ConfigMap by swapping its `..data` symlink, so those names count too.
      // Plan files beside the apps file (plan_file) count too.
      const dir = dirname(path)
      const watched = (file: string) =>
        file === basename(path) || file.startsWith('..data') || current.apps.some((a) => a.plan_file !== undefined && resolve(dir, a.plan_file) === resolve(dir, file))
      watcher = watch(dir, (_event, file) => {
        if (file !== null && !watched(file)) return
        clearTimeout(timer)
        timer = setTimeout(reload, debounceMs)
        timer.unref()
      })
      watcher.on('error', (e) => logger.warn({ error: errorFields(e) }, 'apps file watch failed; reload with SIGHUP'))
      watcher.unref()
    },
    close() {
      clearTimeout(timer)
      watcher?.close()
      watcher = undefined
    },
  }
}

