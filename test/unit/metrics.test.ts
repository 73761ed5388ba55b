// Counters and gauges of what Veil did and dropped, by reason, rendered as Prometheus text.
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../../src/metrics.ts'

describe('createMetrics', () => {
  it('counts by name and labels, starting at zero', () => {
    const m = createMetrics()
    expect(m.get('dropped_events_total', { reason: 'bot' })).toBe(0)
    m.inc('dropped_events_total', { reason: 'bot' })
    m.inc('dropped_events_total', { reason: 'bot' }, 4)
    m.inc('dropped_events_total', { reason: 'gpc' })
    expect(m.get('dropped_events_total', { reason: 'bot' })).toBe(5)
    expect(m.get('dropped_events_total', { reason: 'gpc' })).toBe(1)
    expect(m.get('dropped_events_total')).toBe(0)
  })

  it('treats empty labels as no labels', () => {
    const m = createMetrics()
    m.inc('accepted_events_total', {}, 2)
    m.inc('accepted_events_total', undefined, 3)
    expect(m.get('accepted_events_total')).toBe(5)
  })

  it('renders sorted counters and current gauge values in Prometheus text format', () => {
    const m = createMetrics()
    let pending = 7
    m.inc('rejected_events_total', { reason: 'too_old' })
    m.inc('accepted_events_total', undefined, 10)
    m.gauge('writer_pending_rows', () => pending)
    pending = 9
    expect(m.render()).toBe(
      'veil_accepted_events_total 10\nveil_rejected_events_total{reason="too_old"} 1\nveil_writer_pending_rows 9\n',
    )
  })

  it('renders an empty registry as an empty line', () => {
    expect(createMetrics().render()).toBe('\n')
  })
})
