// Stored rows as the server makes them for the benchmark's batch50 payloads (bench/payloads.ts):
// page_view, report_query and login in turn, 200 users. The engine-side benches
// (insert-cost.ts, views-cost.ts) feed these, so their per-row figures compare.
import { randomUUID } from 'node:crypto'
import type { EventRow } from '../../src/pipeline/types.ts'

export function benchRows(n: number, now: number): EventRow[] {
  return Array.from({ length: n }, (_, i): EventRow => {
    const kind = i % 3
    return [
      'bench', randomUUID(), kind === 0 ? 'page_view' : kind === 1 ? 'report_query' : 'login', now - i, now,
      (i % 200).toString(16).padStart(16, '0'), (i % 200).toString(16).padStart(16, 'a'), 'ffeeddccbbaa9988', 20412,
      kind === 0 ? { path: '/reports/:id/view', referrer_path: '/dashboard' } : kind === 1 ? { report: 'monthly_alarms', status: 'ok' } : { method: 'sso' },
      kind === 1 ? { duration_ms: 1840 + i, rows: 312 } : {},
      'DE', 'Munich', 'Chrome', '120', 'Windows', '10', 'desktop', 'de-DE', 1920, 1080, '4.2.1', 'cloud', 'user',
    ]
  })
}
