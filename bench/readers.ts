// Product managers beside the load: `n` readers each load one dashboard report after another
// through the reports API (GET /v1/stats/...) while a scenario's load runs, as a dashboard opened
// during traffic does. With the embedded engine, reports and the spool's feed share one engine
// and one node, so this shows what a reader costs the writers' latency (docs/operations.md,
// "Thread pool").

/** A dashboard's first screen: what its cards ask for. */
const REPORTS = ['/v1/stats/events', '/v1/stats/breakdown?dimension=country', '/v1/stats/pages', '/v1/stats/sessions', '/v1/stats/report-queries', '/v1/stats/breakdown?dimension=browser']

export interface ReadersResult {
  reports: number
  failed: number
  p50: number
  max: number
}

export function startReaders(url: string, readKey: string, app: string, n: number): { stop(): Promise<ReadersResult> } {
  let stopped = false
  const ms: number[] = []
  let failed = 0
  const reader = async (offset: number) => {
    for (let i = offset; !stopped; i++) {
      const path = REPORTS[i % REPORTS.length]!
      const t0 = performance.now()
      const res = await fetch(`${url}${path}${path.includes('?') ? '&' : '?'}app=${app}`, { headers: { Authorization: `Bearer ${readKey}` } }).catch(() => undefined)
      await res?.arrayBuffer()
      if (res?.ok) ms.push(performance.now() - t0)
      else failed++
    }
  }
  const running = Array.from({ length: n }, (_, i) => reader(i))
  return {
    async stop() {
      stopped = true
      await Promise.all(running)
      ms.sort((a, b) => a - b)
      return { reports: ms.length, failed, p50: ms[Math.floor(ms.length / 2)] ?? 0, max: ms.at(-1) ?? 0 }
    },
  }
}
