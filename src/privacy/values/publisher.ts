// The publisher (PRIVACY.md 17): on each ingestion node, every few seconds, the tokens of each
// salt period whose key is still held (its salt not yet deleted) that k people sent are opened
// from their sealed copies and written to published_values. From then on every node stores the
// value as it is, and the reports show the period's earlier tokens as that value.
import type { ClickHouseClient } from '@clickhouse/client'
import type { AppConfig } from '../../apps/apps.ts'
import type { SaltStore } from '../salts.ts'
import { valuesKey } from './keys.ts'
import { open } from './seal.ts'
import type { PublishedSet } from './published-set.ts'

export interface PublisherOptions {
  client: ClickHouseClient
  apps: () => readonly AppConfig[]
  published: PublishedSet
  /** The salts this node holds (salts.ts held()): the only periods whose tokens can be opened. */
  salts: Pick<SaltStore, 'held'>
  now?: () => number
  /** Told of a failed tick (logged by the caller); the next tick tries again. */
  onError?: (e: unknown) => void
}

export interface Publisher {
  /** One tick now: publishes what has reached k, refreshes the published set; returns how many. */
  publishNow(): Promise<number>
  /** Ticks every `everyMs` (unref'd) until stop(). */
  start(everyMs: number): void
  stop(): Promise<void>
}

interface Candidate {
  period: number
  token: string
  field: string
  sealed: string
}

// Tokens of the periods given that k people sent, not yet published, with one sealed copy each.
const CANDIDATES = `
  SELECT v.period AS period, v.token AS token, s.field AS field, s.sealed AS sealed
  FROM (
    SELECT period, token FROM value_people
    WHERE app_id = {app:String} AND period IN {periods:Array(UInt32)}
    GROUP BY period, token HAVING uniqExactMerge(people) >= {k:UInt32}
  ) AS v
  INNER JOIN (
    SELECT period, token, any(field) AS field, any(sealed) AS sealed FROM sealed_values
    WHERE app_id = {app:String} AND period IN {periods:Array(UInt32)}
    GROUP BY period, token
  ) AS s ON v.period = s.period AND v.token = s.token
  WHERE (v.period, v.token) NOT IN (SELECT period, token FROM published_values WHERE app_id = {app:String})`

export function createPublisher(opts: PublisherOptions): Publisher {
  const { client } = opts
  const now = opts.now ?? Date.now
  let timer: NodeJS.Timeout | undefined
  let running: Promise<number> | undefined

  async function rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' })
    return rs.json<T>()
  }

  async function publishApp(app: AppConfig): Promise<number> {
    // The periods whose salt this node still holds: the key of any other is gone for good.
    const held = opts.salts.held(app.id)
    if (held.length === 0) return 0
    const keys = new Map(held.map((s) => [s.period, valuesKey(s.salt, app.id, s.period)]))
    const found = await rows<Candidate>(CANDIDATES, { app: app.id, periods: [...keys.keys()], k: app.k_anonymity })
    const out: [string, number, string, string, string, number][] = []
    for (const c of found) {
      const value = open(keys.get(Number(c.period))!, c.field, c.token, c.sealed)
      if (value !== undefined) out.push([app.id, Number(c.period), c.token, c.field, value, now()])
    }
    if (out.length === 0) return 0
    await client.insert({ table: 'published_values', values: out, format: 'JSONCompactEachRow' })
    opts.published.add(app.id, out.map((r) => ({ field: r[3], value: r[4] })))
    return out.length
  }

  async function tick(): Promise<number> {
    let n = 0
    for (const app of opts.apps()) n += await publishApp(app)
    await opts.published.refresh()
    return n
  }

  const publishNow = () => {
    // One tick at a time: a call during a tick waits for it and then runs its own.
    const next: Promise<number> = (running ?? Promise.resolve(0)).catch(() => 0).then(tick)
    running = next
    return next
  }

  return {
    publishNow,
    start(everyMs) {
      timer = setInterval(() => void publishNow().catch((e: unknown) => opts.onError?.(e)), everyMs)
      timer.unref()
    },
    async stop() {
      clearInterval(timer)
      await running?.catch(() => 0)
    },
  }
}
