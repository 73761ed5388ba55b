// Start phase: values known to k people (PRIVACY.md 17, privacy/values/): the sealer the pipeline's
// seal_values step uses and the publisher beside ingestion, which ticks every VALUES_PUBLISH_MS.
import type { Config } from '../config.ts'
import type { AppRegistry } from '../apps/apps.ts'
import type { Logger } from '../observability/logger.ts'
import { errorFields } from '../observability/log-error.ts'
import type { SaltStore } from '../privacy/salts.ts'
import { openValuesRoom, type ValuesRoom } from '../privacy/values/index.ts'
import type { Storage } from '../storage/clickhouse/client.ts'

/** The values room; a tick that fails is logged and the next one tries again. */
export function openValues(config: Config, storage: Storage, apps: AppRegistry, salts: SaltStore, now: () => number, logger: Logger): Promise<ValuesRoom> {
  return openValuesRoom({
    client: storage.client,
    apps: () => apps.apps,
    salts,
    publishEveryMs: config.VALUES_PUBLISH_MS,
    now,
    onError: (what, e) => logger.warn({ error: errorFields(e) }, `values ${what} failed; the next tick tries again`),
  })
}
