// The values room (PRIVACY.md 17) as one node holds it: the published set, the sealer the
// seal-values step uses, and the publisher that runs beside ingestion. start-veil.ts starts it.
import type { ClickHouseClient } from '@clickhouse/client'
import type { AppConfig } from '../../apps/apps.ts'
import type { SaltStore } from '../salts.ts'
import { createWriter } from '../../storage/commit/writer.ts'
import { createPublishedSet, type PublishedSet } from './published-set.ts'
import { createPublisher, type Publisher } from './publisher.ts'
import { createValueSealer, type SealedRow, type ValueSealer, type VerbatimRow } from './sealer.ts'
import { createUnplannedRecorder, type UnplannedRecorder, type UnplannedRow } from './unplanned.ts'

export interface ValuesRoom {
  sealer: ValueSealer
  /** Names a strict plan refused, stored by the values rule (sql/0080). */
  unplanned: UnplannedRecorder
  publisher: Publisher
  /** Sealed copies are written; resolves when none is pending (tests, before a publish). */
  flush(): Promise<void>
  /**
   * Deletes the sealed copies of periods whose salt has gone (expires_at passed on this node's
   * clock; the table's TTL does it too, on the engine's): returns how many. Their key is gone
   * already, so this only frees space; no copy could be opened any more.
   */
  purgeExpired(): Promise<number>
  stop(): Promise<void>
}

export interface ValuesRoomOptions {
  client: ClickHouseClient
  apps: () => readonly AppConfig[]
  /** The node's salts: the publisher opens copies only of periods whose salt it holds. */
  salts: Pick<SaltStore, 'held'>
  /** Milliseconds between the publisher's ticks; 0: only when publishNow() is called. */
  publishEveryMs: number
  now?: () => number
  onError?: (what: string, e: unknown) => void
}

export async function openValuesRoom(opts: ValuesRoomOptions): Promise<ValuesRoom> {
  const { client } = opts
  const published = createPublishedSet(client)
  await published.refresh()
  // Sealed copies, verbatim texts and refused names wait for no event: batched like the quarantine.
  const batched = <Row extends unknown[]>(table: string, maxPendingRows: number) =>
    createWriter<Row>({
      insert: async (rows) => void (await client.insert({ table, values: rows, format: 'JSONCompactEachRow' })),
      tokenOf: () => '',
      maxRows: 10_000,
      maxDelayMs: 100,
      maxPendingRows,
    })
  const copies = batched<SealedRow>('sealed_values', 200_000)
  const texts = batched<VerbatimRow>('verbatim_texts', 100_000)
  const refused = batched<UnplannedRow>('unplanned_names', 100_000)
  const sealer = createValueSealer({ published, write: (rows) => copies.write(rows), writeVerbatim: (rows) => texts.write(rows) })
  const unplanned = createUnplannedRecorder(sealer, (rows) => void refused.write(rows).catch((e: unknown) => opts.onError?.('unplanned', e)))
  const publisher = createPublisher({ client, apps: opts.apps, published, salts: opts.salts, now: opts.now, onError: (e) => opts.onError?.('publish', e) })
  if (opts.publishEveryMs > 0) publisher.start(opts.publishEveryMs)
  return {
    sealer,
    unplanned,
    publisher,
    async flush() {
      // The sealer hands its copies over at the end of the current tick of the event loop.
      await new Promise((r) => setImmediate(r))
      await Promise.all([copies.flush(), texts.flush(), refused.flush()])
    },
    async purgeExpired() {
      const cutoff = Math.floor((opts.now ?? Date.now)() / 1000)
      const rs = await client.query({ query: 'SELECT count() AS n FROM sealed_values WHERE expires_at <= toDateTime({cutoff:UInt32})', query_params: { cutoff }, format: 'JSONEachRow' })
      const n = Number((await rs.json<{ n: string }>())[0]?.n ?? 0)
      if (n > 0) {
        await client.command({ query: 'ALTER TABLE sealed_values DELETE WHERE expires_at <= toDateTime({cutoff:UInt32})', query_params: { cutoff }, clickhouse_settings: { mutations_sync: '1' } })
      }
      return n
    },
    async stop() {
      await publisher.stop()
      await Promise.all([copies.shutdown(), texts.shutdown(), refused.shutdown()])
    },
  }
}

/** A sealer without storage (a pipeline built alone, the bench's storage-free app): every value sealed. */
export function createDetachedSealer(): ValueSealer {
  const none: PublishedSet = { has: () => false, add: () => {}, refresh: async () => {}, size: () => 0 }
  return createValueSealer({ published: none, write: async () => {} })
}
