// The scenarios of the benchmark (issue 5): what each sends and how. Each writes to an app of
// its own, so that the events stored per scenario can be counted at the end.
import type { PayloadSpec } from './payloads.ts'

export interface Scenario {
  name: string
  what: string
  payload: PayloadSpec
  coldClients?: boolean
  /** Runs at half the request rate that `batch50` reached against Veil in the same run. */
  halfOf?: string
  /**
   * `relay`: sent to an on-prem relay (src/relay/) that forwards to the server; the row's CPU is
   * the relay's, and the server's for the forwarded rows is logged beside it.
   */
  via?: 'relay'
  /** Readers loading dashboard reports of the `halfOf` scenario's app while this one runs (readers.ts). */
  readersBeside?: number
}

export const SCENARIOS: Scenario[] = [
  { name: 'single', what: '1-event requests, one User-Agent', payload: { events: 1 } },
  { name: 'batch50', what: '50-event batches, one User-Agent, one of 200 users per batch', payload: { events: 50 } },
  { name: 'ua_cold', what: '50-event batches, a new User-Agent and /24 per request', payload: { events: 50 }, coldClients: true },
  { name: 'users', what: '50-event batches, a new user and session per event', payload: { events: 50, distinctUsers: true } },
  { name: 'mixed_invalid', what: '50-event batches, every 10th event invalid', payload: { events: 50, invalidEvery: 10 } },
  { name: 'relay50', what: '50-event batches to a relay that anonymises and forwards to the server', payload: { events: 50 }, via: 'relay' },
  { name: 'fixed_rate', what: '50-event batches at half the batch50 maximum (latency)', payload: { events: 50 }, halfOf: 'batch50' },
  { name: 'fixed_rate_single', what: '1-event requests at half the single maximum (latency of the common browser request)', payload: { events: 1 }, halfOf: 'single' },
  {
    name: 'fixed_rate_readers',
    what: '1-event requests at half the single maximum while 8 readers load dashboard reports (latency beside the reports API)',
    payload: { events: 1 },
    halfOf: 'single',
    readersBeside: 8,
  },
]
