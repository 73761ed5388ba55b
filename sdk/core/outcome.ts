// What a client does with the answer to `POST /v1/batch` (EVENTS.md "Response").
import { isRetryableStatus } from './catalog.ts'

/** `sent`: done (2xx); `retry`: keep the events and try later; `drop`: final, count and forget. */
export type Verdict = 'sent' | 'retry' | 'drop'

/** A status of 0 stands for a network error (no answer at all), which is retried. */
export function classifyStatus(status: number): Verdict {
  if (status >= 200 && status < 300) return 'sent'
  return status === 0 || isRetryableStatus(status) ? 'retry' : 'drop'
}
