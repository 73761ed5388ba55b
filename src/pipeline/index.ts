// What happens to a request and its events, in order: the privacy story of Veil in one list
// (STYLE.md 1). Request steps run once per batch, event steps once per event. A step returns
// the next value or a Drop with a reason; nothing here throws for expected outcomes.
import type { Config } from '../config.ts'
import { createTruncateIpStep } from './steps/truncate-ip.ts'
import { createGeoLookup, createPutGeoStep, type GeoLookup } from './steps/put-geo.ts'
import { createDropIpStep } from './steps/drop-ip.ts'
import { createPutUserAgentStep } from './steps/put-user-agent.ts'
import { createDropGpcStep } from './steps/drop-gpc.ts'
import { createHashIdsStep, createIdHasher, type SaltedKeys } from './steps/hash-ids.ts'
import { createApplyPlanStep } from './steps/apply-plan.ts'
import { createPutContextStep } from './steps/put-context.ts'
import { createScrubStringsStep } from './steps/scrub-strings.ts'
import { createNormalisePathStep } from './steps/normalise-path.ts'
import { createClampTimeStep, type TimeWindow } from './steps/clamp-time.ts'
import { createToRowStep } from './steps/to-row.ts'
import type { BatchContext } from '../../sdk/core/catalog.ts'
import type { DroppedProp } from '../plan/compile-plan.ts'
import { createRepairTextStep } from './steps/repair-text.ts'
import {
  isDrop,
  type BatchFacts,
  type Drop,
  type DropReason,
  type EventRow,
  type ParsedEvent,
  type RejectReason,
  type RequestState,
} from './types.ts'

export interface Pipeline {
  /** Request steps: from the raw client to coarse facts, or a drop of the whole batch. */
  request(req: RequestState): RequestState | Drop<DropReason>
  /** Batch step: the body's context as coarse, closed-list facts shared by its events. */
  context(c: BatchContext | undefined): BatchFacts
  /** Event steps: from a validated event to a row, or a rejection of this event. */
  event(e: ParsedEvent, ctx: EventContext): EventRow | Drop<RejectReason>
}

export interface EventContext extends TimeWindow {
  appId: string
  keys: SaltedKeys
  req: RequestState
  batch: BatchFacts
  /** Props the plan dropped, collected for the answer and the per-key counters. */
  droppedProps: DroppedProp[]
}

export function createPipeline(
  config: Pick<Config, 'IP_TRUNCATION' | 'UA_CACHE_SIZE' | 'HASH_CACHE_SIZE' | 'GEO_CACHE_SIZE' | 'GEOIP_CITY_DB'>,
  geo: GeoLookup = createGeoLookup({ file: config.GEOIP_CITY_DB, cacheSize: config.GEO_CACHE_SIZE }),
): Pipeline {
  const putUserAgent = createPutUserAgentStep(config.UA_CACHE_SIZE)
  const requestSteps = [
    createTruncateIpStep(config.IP_TRUNCATION), //   first thing of all (PRIVACY.md 2)
    createDropGpcStep(), //                          before anything is derived from the client
    createPutGeoStep(geo), //                        from the truncated address only
    createDropIpStep(), //                           nothing of the address is kept
    putUserAgent, //                                 families + majors; drops bots and the raw UA
  ]
  const putContext = createPutContextStep() // closed lists and buckets, once per batch
  // Raw ids end here. When a salt period changes, both caches are emptied (PRIVACY.md 15).
  const hashIds = createHashIdsStep(createIdHasher(config.HASH_CACHE_SIZE, putUserAgent.forget))
  const applyPlan = createApplyPlanStep() // declared, not guessed: before any value is kept
  const scrubStrings = createScrubStringsStep() // `text` props only (after apply_plan)
  const normalisePath = createNormalisePathStep() // `path` props only (after apply_plan)
  const clampTime = createClampTimeStep()
  const toRow = createToRowStep() // the row type has no field for raw data
  const repairText = createRepairTextStep() // last: no lone surrogate reaches ClickHouse

  return {
    request(req) {
      let state: RequestState = req
      for (const step of requestSteps) {
        const next = step(state)
        if (isDrop(next)) return next
        state = next
      }
      return state
    },
    context: putContext,
    event(e, ctx) {
      // The on-prem SDK names its OS in the context; its session stands for the installation.
      const anonymous = ctx.batch.os || ctx.batch.deployment === 'onprem' ? 'installation' : 'visitor'
      // The steps take the request's context as it is: no object of their own per event.
      const planned = applyPlan(hashIds(e, ctx.keys, anonymous), ctx)
      if (isDrop(planned)) return planned
      const timed = clampTime(normalisePath(scrubStrings(planned)), ctx)
      if (isDrop(timed)) return timed
      return repairText(toRow(timed, ctx))
    },
  }
}

export const EMPTY_FACTS = {
  country: '',
  city: '',
  browser: '',
  browser_version: '',
  os: '',
  os_version: '',
  device_type: '',
} as const
