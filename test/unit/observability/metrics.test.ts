// Counters, gauges and histograms of what Veil did and dropped, rendered by prom-client in the
// Prometheus text format with HELP and TYPE lines.
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../../../src/observability/metrics.ts'

describe('createMetrics', () => {
  it('counts by name and labels, starting at zero', () => {
    const m = createMetrics({ defaultMetrics: false })
    expect(m.get('dropped_events_total', { app: 'a', reason: 'bot' })).toBe(0)
    m.inc('dropped_events_total', { app: 'a', reason: 'bot' })
    m.inc('dropped_events_total', { app: 'a', reason: 'bot' }, 4)
    m.inc('dropped_events_total', { app: 'a', reason: 'gpc' })
    expect(m.get('dropped_events_total', { app: 'a', reason: 'bot' })).toBe(5)
    expect(m.get('dropped_events_total', { app: 'a', reason: 'gpc' })).toBe(1)
    expect(m.get('dropped_events_total', { app: 'b', reason: 'bot' })).toBe(0)
  })

  it('treats empty labels as no labels', () => {
    const m = createMetrics({ defaultMetrics: false })
    m.inc('internal_errors_total', {}, 2)
    m.inc('internal_errors_total', undefined, 3)
    expect(m.get('internal_errors_total')).toBe(5)
  })

  it('renders counters, gauges read at scrape time and histograms with HELP and TYPE', async () => {
    const m = createMetrics({ defaultMetrics: false })
    let pending = 7
    m.inc('rejected_events_total', { app: 'shop', reason: 'too_old' })
    m.inc('accepted_events_total', { app: 'shop' }, 10)
    m.gauge('writer_pending_rows', () => pending, 'Rows waiting.')
    m.observe('insert_duration_seconds', { table: 'events', outcome: 'ok' }, 0.003)
    pending = 9
    const text = await m.render()
    expect(text).toContain('# HELP veil_accepted_events_total Events stored, by app.\n# TYPE veil_accepted_events_total counter\nveil_accepted_events_total{app="shop"} 10\n')
    expect(text).toContain('veil_rejected_events_total{app="shop",reason="too_old"} 1\n')
    expect(text).toContain('# TYPE veil_writer_pending_rows gauge\nveil_writer_pending_rows 9\n')
    expect(text).toContain('# TYPE veil_insert_duration_seconds histogram\n')
    expect(text).toContain('veil_insert_duration_seconds_bucket{le="0.005",table="events",outcome="ok"} 1\n')
    expect(text).toContain('veil_insert_duration_seconds_bucket{le="0.0025",table="events",outcome="ok"} 0\n')
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/)
  })

  it('shows NaN for a gauge whose source fails, instead of a false 0 or a failed scrape', async () => {
    const m = createMetrics({ defaultMetrics: false })
    m.gauge('salt_oldest_age_seconds', async () => {
      throw new Error('storage down')
    })
    m.inc('internal_errors_total')
    const text = await m.render()
    expect(text).toContain('veil_internal_errors_total 1')
    // prom-client writes "Nan"; Prometheus parses NaN case-insensitively (strconv.ParseFloat).
    expect(text).toMatch(/^veil_salt_oldest_age_seconds NaN$/im)
  })

  it('includes the process metrics, event-loop lag among them', async () => {
    expect(await createMetrics().render()).toMatch(/^veil_nodejs_eventloop_lag_seconds \d/m)
  })
})
