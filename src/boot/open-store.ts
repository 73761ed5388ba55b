// Start phase: open the store and bring its schema up to date (sql/, applied in order and
// recorded), with the retention the config asks for. The store is closed again if that fails.
import type { Config } from '../config.ts'
import type { Logger } from '../observability/logger.ts'
import { isFirstStart } from '../apps/first-start.ts'
import { openStorage } from '../storage/clickhouse/client.ts'
import { trackInFlight, type TrackedStorage } from '../storage/clickhouse/in-flight.ts'
import { storedIdsFilterBytes } from '../storage/commit/events-insert.ts'
import { applyRetention, migrate } from '../storage/schema/migrate.ts'

export interface OpenedStore {
  storage: TrackedStorage
  /** The store had never been migrated (asked only when `askFirstStart`). */
  firstStart: boolean
}

export async function openStoreAndMigrate(config: Config, logger: Logger, askFirstStart: boolean): Promise<OpenedStore> {
  const storage = trackInFlight(await openStorage({ ...config, STORED_IDS_FILTER_BYTES: storedIdsFilterBytes(config) }))
  let firstStart = false
  try {
    // Asked before migrating: only a store never migrated may get a demo app (apps/first-start.ts).
    firstStart = askFirstStart && (await isFirstStart(storage.client))
    const applied = await migrate(storage.client, { retentionMonths: config.RETENTION_MONTHS, cluster: config.CLICKHOUSE_CLUSTER })
    if (applied.length) logger.info({ applied }, 'migrations applied')
    const retimed = await applyRetention(storage.client, config.RETENTION_MONTHS, config.CLICKHOUSE_CLUSTER)
    if (retimed.length) logger.info({ tables: retimed, months: config.RETENTION_MONTHS }, 'retention changed')
  } catch (e) {
    await storage.close()
    throw e
  }
  return { storage, firstStart }
}
