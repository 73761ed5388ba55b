// Start phase: after a crash in direct mode the aggregates may lack rows of an insert it cut
// between events and the views (F13), or parts a power loss took (only events is fsynced,
// sql/0032): the days it touched are recomputed before the node listens. Not in spool mode: its
// replay re-sends the cut range with the same token, which fills the views, and would count the
// rows a second time on top of a recomputation. The same cut can leave an id in recent_event_ids
// with no row in events: it is forgotten, so the client's retry is stored, not answered as a
// duplicate and lost. Only on the embedded store, which this process alone writes. The run
// marker it returns is cleared by a clean stop.
import { statfsSync } from 'node:fs'
import type { Config } from '../config.ts'
import type { Logger } from '../observability/logger.ts'
import type { Storage } from '../storage/clickhouse/client.ts'
import { forgetUnstoredIds, planRepair, runRepair, REPAIR_LOOKBACK_MS } from '../storage/schema/repair-aggregates.ts'
import { repairSpace } from '../storage/schema/repair-space.ts'
import { openRunMarker, type RunMarker } from '../storage/schema/run-marker.ts'

/** The repair due after a crash needs more free space than the store's disk has. */
export class NoSpaceForRepairError extends Error {
  override name = 'NoSpaceForRepairError'
  constructor(readonly dir: string, readonly neededBytes: number, readonly freeBytes: number) {
    super(
      `the aggregates must be repaired after the previous run's crash (docs/durability.md F13), which needs ${neededBytes} bytes ` +
        `(${mib(neededBytes)}) free on the file system of ${dir}; ${freeBytes} bytes (${mib(freeBytes)}) are free. ` +
        'Free space there and start again: nothing was written, the repair is still due',
    )
  }
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`

export async function repairAfterCrash(config: Config, storage: Storage, logger: Logger): Promise<RunMarker | undefined> {
  const marker = storage.kind === 'embedded' ? openRunMarker(config.DATA_DIR) : undefined
  if (marker?.crashedAliveAt !== undefined && config.WRITE_MODE === 'direct') {
    const since = marker.crashedAliveAt - REPAIR_LOOKBACK_MS
    const plan = await planRepair(storage.client, since)
    // Checked before anything is written: on a full disk the DELETE's mutation cannot finish,
    // and a start that began it failed late (or waited on it) and left it behind in the table.
    const { neededBytes, partBytes } = await repairSpace(storage.client, plan)
    const st = statfsSync(config.DATA_DIR)
    const freeBytes = st.bavail * st.bsize
    if (freeBytes < neededBytes) {
      logger.error({ dir: config.DATA_DIR, neededBytes, freeBytes, partBytes, pairs: plan.pairs.length }, 'not enough free space for the aggregates repair after a crash')
      throw new NoSpaceForRepairError(config.DATA_DIR, neededBytes, freeBytes)
    }
    const repaired = await runRepair(storage.client, plan)
    // Before the store check can read them (the write path opens after this).
    const forgottenIds = await forgetUnstoredIds(storage.client, since)
    logger.warn({ ...repaired, forgottenIds, neededBytes, freeBytes }, 'the previous run did not stop cleanly: aggregates recomputed from events for the days it touched')
  }
  marker?.repaired()
  return marker
}
