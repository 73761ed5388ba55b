// Apps and keys change while Veil runs (`veil apps`): the registry is swapped whole, on SIGHUP or
// when APPS_FILE changes (fs.watch, debounced). Requests in flight keep the registry they
// started with; a file that does not parse is logged and the previous apps stay in force.
import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { createAppRegistry, loadAppsFile, type AppConfig, type AppRegistry } from './apps.ts'
import type { Logger } from '../observability/logger.ts'

export interface ReloadableRegistry extends AppRegistry {
  /** Reads APPS_FILE again; false (and a log line) when it is invalid. */
  reload(): boolean
  /** Watches APPS_FILE for changes until close(). */
  watch(debounceMs?: number): void
  close(): void
}

export function createReloadableRegistry(path: string, first: readonly AppConfig[], logger: Logger): ReloadableRegistry {
  let current = createAppRegistry(first)
  const warnClearKeys = (apps: readonly AppConfig[]) => {
    const clear = apps.filter((a) => a.read_keys.some((k) => k.startsWith('rk_'))).map((a) => a.id)
    if (clear.length) logger.warn({ apps: clear }, 'read keys stored in clear in the apps file; any `veil apps` command stores them as hashes')
  }
  warnClearKeys(first)
  let watcher: FSWatcher | undefined
  let timer: NodeJS.Timeout | undefined

  const reload = () => {
    try {
      const next = createAppRegistry(loadAppsFile(path).apps)
      current = next
      warnClearKeys(next.apps)
      logger.info({ apps: next.apps.length }, 'apps file reloaded')
      return true
    } catch (e) {
      const err = e as Error & { cause?: Error }
      logger.error({ err: `${err.message}${err.cause ? `: ${err.cause.message}` : ''}`.replaceAll('\n', ' ') }, 'apps file not reloaded; keeping the previous apps')
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
    reload,
    watch(debounceMs = 200) {
      if (watcher) return
      // The directory, not the file: editors and `veil apps` replace the file by renaming a new
      // one over it, which a watch on the old inode would never see. Kubernetes updates a
      // mounted Secret or ConfigMap by swapping its `..data` symlink, so those names count too.
      const name = basename(path)
      watcher = watch(dirname(path), (_event, file) => {
        if (file !== null && file !== name && !file.startsWith('..data')) return
        clearTimeout(timer)
        timer = setTimeout(reload, debounceMs)
        timer.unref()
      })
      watcher.on('error', (e) => logger.warn({ err: e.message }, 'apps file watch failed; reload with SIGHUP'))
      watcher.unref()
    },
    close() {
      clearTimeout(timer)
      watcher?.close()
      watcher = undefined
    },
  }
}
