// clamp_time: the client clock corrected by sent_at (ts + received - sent_at), small future skew
// clamped to the receive time, events far outside the window rejected (PRIVACY.md 6).
import type { Drop, HashedEvent, RejectReason } from '../types.ts'

export interface TimeWindow {
  receivedAt: number
  sentAt: number | undefined
  maxAgeMs: number
  maxFutureMs: number
}

export function createClampTimeStep() {
  return function clampTime(event: HashedEvent, w: TimeWindow): HashedEvent | Drop<RejectReason> {
    const skew = w.sentAt === undefined ? 0 : w.receivedAt - w.sentAt
    const ts = event.ts + skew
    if (ts > w.receivedAt + w.maxFutureMs) {
      return {
        drop: 'too_far_in_future',
        message: `ts is ${Math.round((ts - w.receivedAt) / 60_000)} minutes in the future (after correcting by sent_at); at most ${w.maxFutureMs / 60_000} are accepted`,
      }
    }
    if (ts < w.receivedAt - w.maxAgeMs) {
      return {
        drop: 'too_old',
        message: `ts is ${Math.round((w.receivedAt - ts) / 3_600_000)} hours old; events older than ${w.maxAgeMs / 3_600_000} hours are rejected`,
      }
    }
    // Set in place: the event is the pipeline's own (hash_ids built it), and a copy of it for
    // nearly every event (any clock difference moves ts) was a large part of the steps' garbage.
    event.ts = Math.min(ts, w.receivedAt)
    return event
  }
}
