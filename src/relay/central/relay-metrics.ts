// The relays as the central Veil sees them, in /metrics (docs/relay.md "Watching relays"): each
// site's version, when it last forwarded, and its lag, the age its oldest row had on arrival.
// Labels are relay ids the operator chose in the apps file, like app ids: never keys.
import { Gauge } from 'prom-client'
import type { Metrics } from '../../observability/metrics.ts'

interface Seen {
  version: string
  lastForwardMs: number
  lagSeconds: number
}

export interface RelayBook {
  /** A forward (or an import) arrived from `relay`, whose oldest row was received at `oldestMs`. */
  record(relay: string, version: string, oldestMs: number | undefined): void
  seen(relay: string): Readonly<Seen> | undefined
}

export function createRelayBook(metrics: Metrics, now: () => number): RelayBook {
  const book = new Map<string, Seen>()
  new Gauge({
    name: 'veil_relay_info', help: 'One series per relay that forwarded since start, labelled with its version.', labelNames: ['relay', 'version'], registers: [metrics.registry],
    collect() {
      this.reset()
      for (const [relay, s] of book) this.set({ relay, version: s.version }, 1)
    },
  })
  new Gauge({
    name: 'veil_relay_lag_seconds', help: 'How old the oldest row of a relay\'s last forward was when it arrived (store-and-forward delay).', labelNames: ['relay'], registers: [metrics.registry],
    collect() {
      this.reset()
      for (const [relay, s] of book) this.set({ relay }, s.lagSeconds)
    },
  })
  new Gauge({
    name: 'veil_relay_last_forward_timestamp_seconds', help: 'When a relay last forwarded rows (Unix seconds): alert when it falls behind.', labelNames: ['relay'], registers: [metrics.registry],
    collect() {
      this.reset()
      for (const [relay, s] of book) this.set({ relay }, s.lastForwardMs / 1000)
    },
  })
  return {
    record(relay, version, oldestMs) {
      const at = now()
      book.set(relay, { version, lastForwardMs: at, lagSeconds: oldestMs === undefined ? 0 : Math.max(0, (at - oldestMs) / 1000) })
    },
    seen: (relay) => book.get(relay),
  }
}
