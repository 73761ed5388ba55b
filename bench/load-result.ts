// What a load run is asked (load.ts, paced.ts) and what it measured, shared by both.
import type { Payload } from './payloads.ts'

export interface LoadOptions {
  url: string
  payload: Payload
  seconds: number
  connections: number
  /** Requests per second over all connections; unset = as fast as the server answers. */
  rate?: number
  /** A new User-Agent and X-Forwarded-For /24 on every request. */
  coldClients?: boolean
  /** A fixed rate as autocannon's overallRate makes it (bursts), not paced.ts's schedule. */
  autocannonRate?: boolean
}

export interface LoadResult {
  seconds: number
  requests: number
  ok: number
  non2xx: number
  errors: number
  /** Events the server said it accepted (sum of "accepted" of each 202; events of each 204). */
  acknowledged: number
  reqPerSec: number
  eventsPerSec: number
  p50: number
  p99: number
  /** The 99.9th percentile and the slowest answer, ms: the tail as a user meets it. */
  p999: number
  max: number
  statuses: Record<string, number>
}

/** Events one answer acknowledged: a 202's `accepted`, every event of a 204 (a compat answer). */
export function acknowledgedBy(status: number, body: string, payload: Payload): number {
  if (status === 204) return payload.eventsPerRequest
  if (status === 202) return Number(/"accepted":(\d+)/.exec(body)?.[1] ?? 0)
  return 0
}
