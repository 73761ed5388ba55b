// What happens to a request and its events, in order: the privacy story of Veil in one list
// (STYLE.md 1). Request steps run once per batch, event steps once per event. A step returns
// the next value or a Drop with a reason; nothing here throws for expected outcomes.
import type { Config } from '../config.ts'
import { createMetrics, type Metrics } from '../observability/metrics.ts'
import { createStepRunner, stepList } from './runner.ts'
import { createTruncateIpStep } from './steps/truncate-ip.ts'
import { createGeoLookup, createPutGeoStep, type GeoLookup } from './steps/put-geo.ts'
import { createDropIpStep } from './steps/drop-ip.ts'
import { createPutDeviceStep, type RequestContext } from './steps/put-device.ts'
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
import { createSealValuesStep } from './steps/seal-values.ts'
import { createDetachedSealer } from '../privacy/values/index.ts'
import type { ValueSealer } from '../privacy/values/sealer.ts'
import type { UnplannedRecorder } from '../privacy/values/unplanned.ts'
import type {
  BatchFacts,
  Drop,
  DropReason,
  EventRow,
  ParsedEvent,
  RejectReason,
  RequestState,
} from './types.ts'

export interface Pipeline {
  /** Request steps: from the raw client to coarse facts, or a drop of the whole batch. */
  request(req: RequestState, ctx: RequestContext): RequestState | Drop<DropReason>
  /** Batch step: the body's context as coarse, closed-list facts shared by its events. */
  context(c: BatchContext | undefined): BatchFacts
  /** Event steps: from a validated event to a row, or a rejection of this event. */
  event(e: ParsedEvent, ctx: EventContext): EventRow | Drop<RejectReason>
}

/** What the event steps read of their run: one object per request part, never one per event. */
export type { RequestContext }

export interface EventContext extends TimeWindow {
  appId: string
  keys: SaltedKeys
  req: RequestState
  batch: BatchFacts
  /** Props the plan dropped, collected for the answer and the per-key counters. */
  droppedProps: DroppedProp[]
}

export interface PipelineOptions {
  /** The city lookup; default: the configured or bundled database. */
  geo?: GeoLookup
  /** Where the runner counts drops by step and reason and the sampled step times (runner.ts). */
  metrics?: Metrics
  /** Values known to k people (src/privacy/values/); default: none published, every value sealed. */
  sealer?: ValueSealer
  /** Where a strict plan's refused names go, sealed (docs/reports.md "Rejections"); default: nowhere. */
  unplanned?: UnplannedRecorder
}

export function createPipeline(
  config: Pick<Config, 'IP_TRUNCATION' | 'UA_CACHE_SIZE' | 'HASH_CACHE_SIZE' | 'GEO_CACHE_SIZE' | 'GEOIP_CITY_DB'>,
  opts: PipelineOptions = {},
): Pipeline {
  const geo = opts.geo ?? createGeoLookup({ file: config.GEOIP_CITY_DB, cacheSize: config.GEO_CACHE_SIZE })
  // Counted and timed with or without a caller to read it, so a bench measures what runs.
  const metrics = opts.metrics ?? createMetrics({ defaultMetrics: false })
  const putUserAgent = createPutUserAgentStep(config.UA_CACHE_SIZE)
  // Raw ids end in hash_ids. When a salt period changes, its caches (device keys among them) and
  // the User-Agents' are emptied (PRIVACY.md 15).
  const idHasher = createIdHasher(config.HASH_CACHE_SIZE, putUserAgent.forget)

  const requestSteps = stepList<RequestState, RequestContext, DropReason>()
    .add(createTruncateIpStep(config.IP_TRUNCATION)) // first thing of all (PRIVACY.md 2)
    .add(createDropGpcStep()) //                        before anything is derived from the client
    .add(createPutGeoStep(geo)) //                      from the truncated address only
    .add(createPutDeviceStep(idHasher.deviceKeyOf)) // keyed digest of prefix + raw UA: before both go
    .add(createDropIpStep()) //                         nothing of the address is kept
    .add(putUserAgent) //                               families + majors; drops bots and the raw UA

  const eventSteps = stepList<ParsedEvent, EventContext, RejectReason>()
    .add(createHashIdsStep(idHasher)) // raw ids end here
    .add(createApplyPlanStep(opts.unplanned)) // declared, not guessed: before any value is kept
    .add(createScrubStringsStep()) //  `text` props only (after apply_plan)
    .add(createNormalisePathStep()) // `path` props only (after apply_plan)
    .add(createSealValuesStep(opts.sealer ?? createDetachedSealer())) // after scrub and paths: values under k become tokens
    .add(createClampTimeStep()) //     sent_at corrects the client clock; far outside the window: rejected
    .add(createToRowStep()) //         the row type has no field for raw data
    .add(createRepairTextStep()) //    last: no lone surrogate reaches ClickHouse

  const runRequest = createStepRunner('request', requestSteps, metrics)
  return {
    request: runRequest,
    context: createPutContextStep(), // closed lists and buckets, once per batch
    event: createStepRunner('event', eventSteps, metrics),
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
