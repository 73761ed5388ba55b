// Start phase: the apps this node serves, from the options (tests) or APPS_FILE, which is watched
// and reloaded (apps/reload.ts). Only a store's first start creates the file with a demo app and
// says its keys (apps/first-start.ts); a lost or broken file keeps the last good keys.
import type { Config } from '../config.ts'
import type { Logger } from '../observability/logger.ts'
import type { Metrics } from '../observability/metrics.ts'
import { createAppRegistry, loadAppsFile, type AppConfig, type AppRegistry, type RelaySite } from '../apps/apps.ts'
import { createReloadableRegistry, type ReloadableRegistry } from '../apps/reload.ts'

export interface LoadedApps {
  apps: AppRegistry
  /** Set when the apps come from APPS_FILE. */
  fileApps?: ReloadableRegistry
  createdDemoKey?: string
  createdDemoReadKey?: string
}

export function loadApps(config: Config, given: AppConfig[] | undefined, logger: Logger, metrics: Metrics, firstStart: boolean, givenRelays?: RelaySite[]): LoadedApps {
  if (given) return { apps: createAppRegistry(given, givenRelays) }
  const loaded = loadAppsFile(config.APPS_FILE, { createDemo: firstStart })
  const fileApps = createReloadableRegistry(config.APPS_FILE, loaded.apps, logger, metrics, config.VEIL_CLI, loaded.relays)
  fileApps.watch()
  return { apps: fileApps, fileApps, createdDemoKey: loaded.demoKeys?.write, createdDemoReadKey: loaded.demoKeys?.read }
}
