// Start phase: after a crash in direct mode the aggregates may lack rows of an insert it cut
// between events and the views (F13), or parts a power loss took (only events is fsynced,
// sql/0032): the days it touched are recomputed before the node listens. Not in spool mode: its
// replay re-sends the cut range with the same token, which fills the views, and would count the
// rows a second time on top of a recomputation. Only on the embedded store, which this process
// alone writes. The run marker it returns is cleared by a clean stop.
import type { Config } from '../config.ts'
import type { Logger } from '../observability/logger.ts'
import type { Storage } from '../storage/clickhouse/client.ts'
import { openRunMarker, repairAggregates, REPAIR_LOOKBACK_MS, type RunMarker } from '../storage/schema/repair-aggregates.ts'

export async function repairAfterCrash(config: Config, storage: Storage, logger: Logger): Promise<RunMarker | undefined> {
  const marker = storage.kind === 'embedded' ? openRunMarker(config.DATA_DIR) : undefined
  if (marker?.crashedAliveAt !== undefined && config.WRITE_MODE === 'direct') {
    const repaired = await repairAggregates(storage.client, marker.crashedAliveAt - REPAIR_LOOKBACK_MS)
    logger.warn(repaired, 'the previous run did not stop cleanly: aggregates recomputed from events for the days it touched')
  }
  return marker
}
