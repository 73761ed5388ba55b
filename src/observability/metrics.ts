// What Veil did and dropped, by reason and app (STYLE.md 2, 6), served at GET /metrics in the
// Prometheus text format by prom-client, with HELP and TYPE lines. Labels are closed sets
// (routes, statuses, reasons) or operator-defined app ids: never user ids, keys or addresses.
// Hot-path cost: each labelled series is created once and cached, and counted in plain numbers
// that prom-client reads at scrape time, so a count is a map lookup and an addition.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

export type Labels = Record<string, string>

export interface Metrics {
  /** The prom-client registry of Veil's series: register further metrics here (e.g. storage/spool/metrics.ts). */
  readonly registry: Registry
  /** Adds to a counter (veil_<name>), created on first use with these label names. */
  inc(name: string, labels?: Labels, by?: number): void
  /** A counter's value for exactly these labels; 0 when never counted. */
  get(name: string, labels?: Labels): number
  /** A gauge (veil_<name>) read when scraped; NaN when the read throws or has no value. */
  gauge(name: string, read: () => number | undefined | Promise<number | undefined>, help?: string): void
  /** A counter (veil_<name>) whose total another part keeps (a writer's or the spool's stats), read when scraped. */
  counterOf(name: string, read: () => number, help: string): void
  /** Records a duration in seconds into a histogram (veil_<name>). */
  observe(name: string, labels: Labels, seconds: number): void
  /** One counter series, for call sites that keep it (no label lookup per count). */
  counter(name: string, labels?: Labels): { inc(by?: number): void }
  /** One histogram series, for call sites that keep it. */
  histogram(name: string, labels: Labels): { observe(seconds: number): void }
  /** Every series: Veil's and the process's (for a protected scrape, http/metrics-route.ts). */
  render(): Promise<string>
  /** The process's series only (CPU, memory, event loop, GC): none moves with one person. */
  renderProcess(): Promise<string>
  readonly contentType: string
}

/** HELP texts of the counters and histograms; a name missing here still works, with a generic text. */
const HELP: Record<string, string> = {
  accepted_events_total: 'Events stored, by app.',
  rejected_events_total: 'Events refused by validation (kept in quarantine by shape), by app and reason.',
  dropped_events_total: 'Events dropped on purpose (bots, GPC, consent), by app and reason.',
  duplicate_events_total: 'Retried events recognised and not stored again, by app.',
  rate_limited_total: 'Requests refused by the per-key rate limit (429).',
  unavailable_total: 'Requests answered 503 because storage was unavailable, by reason.',
  internal_errors_total: 'Requests answered 500.',
  quarantine_write_failures_total: 'Quarantine inserts that failed (the events are lost from quarantine only).',
  http_requests_total: 'HTTP requests answered, by route pattern, method and status.',
  http_request_duration_seconds: 'Time to answer an HTTP request, by route pattern and method.',
  insert_duration_seconds: 'ClickHouse insert time, by table and outcome.',
  insert_failures_total: 'ClickHouse inserts that failed, by table.',
  store_check_duration_seconds: 'Time of a stored-ids lookup before an insert (events another node or an earlier attempt stored already).',
  store_check_ids_total: 'Event ids looked up in recent_event_ids before an insert.',
  pipeline_step_drops_total: 'Requests (stage request) and events (stage event) a pipeline step dropped, by step and reason (src/pipeline/runner.ts).',
  pipeline_step_sampled_seconds_total: 'Time spent in each pipeline step on the timed sample of runs (one in 64); divide by pipeline_step_samples_total for the mean.',
  pipeline_step_samples_total: 'Runs of each pipeline step that were timed (one run in 64 of its list).',
  store_check_stored_total: 'Event ids found stored already by that lookup: their events were left out of the insert.',
  relay_rows_total: 'Rows on-prem relays sent that were stored (or found stored), by relay (docs/relay.md).',
  relay_rows_rejected_total: 'Relay rows refused by the central check of their shape or window, by relay.',
  relay_duplicate_rows_total: 'Relay rows of a re-sent forward or re-imported bundle, stored once, by relay.',
  relay_forwarded_rows_total: 'On a relay: rows the central Veil acknowledged.',
  relay_dropped_rows_total: 'On a relay with RELAY_SPOOL_FULL=drop-oldest: rows given up, oldest first, to take new ones into a full spool.',
  relay_refused_rows_total: 'On a relay: rows the central Veil refused (listed in the outbox with the reason).',
  relay_quarantine_discarded_total: 'On a relay: rejected events, answered and counted, of which nothing is kept.',
}

// Request latency from 1 ms (a cached answer) to 30 s (a report on a cold store).
const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** One labelled series, counted in plain numbers; prom-client reads it at scrape time. */
interface CounterChild {
  labels: Labels | undefined
  value: number
}

interface HistogramChild {
  labels: Labels
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  counts: number[]
  sum: number
  count: number
}

/**
 * A histogram kept in plain arrays and handed to the registry as prom-client's metric object
 * (the shape its Histogram.get() returns), so that an observation is a bucket search and two
 * additions instead of prom-client's per-call label hashing and validation.
 */
function histogramMetric(name: string, help: string, children: Map<string, HistogramChild>) {
  return {
    name,
    help,
    type: 'histogram' as const,
    aggregator: 'sum' as const,
    get() {
      const values: { value: number; labels: Record<string, string | number>; metricName: string }[] = []
      for (const c of children.values()) {
        let cumulative = 0
        SECONDS.forEach((le, i) => {
          cumulative += c.counts[i]!
          values.push({ value: cumulative, labels: { le, ...c.labels }, metricName: `${name}_bucket` })
        })
        values.push({ value: c.count, labels: { le: '+Inf', ...c.labels }, metricName: `${name}_bucket` })
        values.push({ value: c.sum, labels: c.labels, metricName: `${name}_sum` })
        values.push({ value: c.count, labels: c.labels, metricName: `${name}_count` })
      }
      return { name, help, type: 'histogram' as const, aggregator: 'sum' as const, values }
    },
  }
}

function observeInto(c: HistogramChild, seconds: number): void {
  let i = 0
  while (i < SECONDS.length && seconds > SECONDS[i]!) i++
  if (i < SECONDS.length) c.counts[i]!++
  c.sum += seconds
  c.count++
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry()
  // Process metrics, event-loop lag among them (veil_nodejs_eventloop_lag_seconds), in a registry
  // of their own: the only series an unprotected /metrics shows (docs/operations.md, "Metrics").
  const processRegistry = new Registry()
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: processRegistry, prefix: 'veil_' })

  const counters = new Map<string, Map<string, CounterChild>>()
  const histograms = new Map<string, Map<string, HistogramChild>>()
  const keyOf = (labels: Labels | undefined) => {
    if (!labels) return ''
    let k = ''
    for (const name in labels) k += `${name}\u0001${labels[name]}\u0002`
    return k
  }

  function counterChild(name: string, labels: Labels | undefined): CounterChild {
    let children = counters.get(name)
    if (!children) {
      const family = new Map<string, CounterChild>()
      children = family
      counters.set(name, family)
      new Counter({
        name: `veil_${name}`,
        help: HELP[name] ?? `Veil counter ${name}.`,
        labelNames: Object.keys(labels ?? {}),
        registers: [registry],
        collect() {
          this.reset()
          for (const c of family.values()) {
            if (c.labels) this.inc(c.labels, c.value)
            else this.inc(c.value)
          }
        },
      })
    }
    const key = keyOf(labels)
    let c = children.get(key)
    if (!c) {
      c = { labels: key ? { ...labels } : undefined, value: 0 }
      children.set(key, c)
    }
    return c
  }

  function histogramChild(name: string, labels: Labels): HistogramChild {
    let children = histograms.get(name)
    if (!children) {
      children = new Map()
      histograms.set(name, children)
      registry.registerMetric(histogramMetric(`veil_${name}`, HELP[name] ?? `Veil histogram ${name}.`, children) as unknown as Histogram)
    }
    const key = keyOf(labels)
    let c = children.get(key)
    if (!c) {
      c = { labels: { ...labels }, counts: new Array<number>(SECONDS.length).fill(0), sum: 0, count: 0 }
      children.set(key, c)
    }
    return c
  }

  return {
    registry,
    contentType: registry.contentType,
    inc(name, labels, by = 1) {
      counterChild(name, labels).value += by
    },
    get: (name, labels) => counters.get(name)?.get(keyOf(labels))?.value ?? 0,
    gauge(name, read, help) {
      new Gauge({
        name: `veil_${name}`,
        help: help ?? `Veil gauge ${name}.`,
        registers: [registry],
        async collect() {
          // An unreadable source (storage down) shows as NaN, never as a misleading 0, and
          // never fails the whole scrape.
          let v: number | undefined
          try {
            v = await read()
          } catch {
            v = undefined
          }
          this.set(v ?? Number.NaN)
        },
      })
    },
    counterOf(name, read, help) {
      new Counter({
        name: `veil_${name}`,
        help,
        registers: [registry],
        collect() {
          this.reset()
          this.inc(read())
        },
      })
    },
    observe(name, labels, seconds) {
      observeInto(histogramChild(name, labels), seconds)
    },
    counter(name, labels) {
      const c = counterChild(name, labels)
      return {
        inc(by = 1) {
          c.value += by
        },
      }
    },
    histogram(name, labels) {
      const c = histogramChild(name, labels)
      return { observe: (seconds) => observeInto(c, seconds) }
    },
    render: () => Registry.merge([processRegistry, registry]).metrics(),
    renderProcess: () => processRegistry.metrics(),
  }
}
