// Counters of what Veil did and dropped, by reason (STYLE.md 2, 6), served as Prometheus text
// at GET /metrics. Labels are closed sets (reasons, statuses): never ids, keys or addresses.
export interface Metrics {
  inc(name: string, labels?: Record<string, string>, by?: number): void
  get(name: string, labels?: Record<string, string>): number
  gauge(name: string, read: () => number): void
  render(): string
}

const keyOf = (name: string, labels?: Record<string, string>) =>
  labels && Object.keys(labels).length
    ? `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`
    : name

export function createMetrics(): Metrics {
  const counters = new Map<string, number>()
  const gauges = new Map<string, () => number>()
  return {
    inc(name, labels, by = 1) {
      const k = keyOf(name, labels)
      counters.set(k, (counters.get(k) ?? 0) + by)
    },
    get: (name, labels) => counters.get(keyOf(name, labels)) ?? 0,
    gauge(name, read) {
      gauges.set(name, read)
    },
    render() {
      const lines: string[] = []
      for (const [k, v] of [...counters].sort()) lines.push(`veil_${k} ${v}`)
      for (const [k, read] of gauges) lines.push(`veil_${k} ${read()}`)
      return lines.join('\n') + '\n'
    },
  }
}
