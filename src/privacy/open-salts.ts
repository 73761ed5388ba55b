// Chooses where the salts live (PRIVACY.md 19): in this process's memory with the embedded
// engine (salts.ts), wrapped in the key store of a ClickHouse server (salt-vault.ts), read there
// through the ingestion role's own user (CLICKHOUSE_KEYS_USER) when one is configured.
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { ConfigError, type Config } from '../config.ts'
import type { Storage } from '../storage/clickhouse/client.ts'
import { createMemorySaltStore, type SaltStore } from './salts.ts'
import { createSaltVault } from './salt-vault.ts'
import { wrapKeyOf } from './salt-wrap.ts'

export interface OpenedSalts {
  salts: SaltStore
  /** Closes the key role's own connection, if any. */
  close(): Promise<void>
}

type SaltConfig = Pick<Config, 'CLICKHOUSE_URL' | 'CLICKHOUSE_CLUSTER' | 'CLICKHOUSE_KEYS_DATABASE' | 'CLICKHOUSE_KEYS_USER' | 'CLICKHOUSE_KEYS_PASSWORD' | 'SALT_WRAP_KEY'>

export async function openSaltStore(config: SaltConfig, storage: Pick<Storage, 'kind' | 'client'>, now: () => number, onPurgeError?: (e: unknown) => void): Promise<OpenedSalts> {
  if (storage.kind === 'embedded') {
    // The largest period id stored: a new start's first salt gets a larger one (salts.ts). Read
    // from the daily aggregate, which every event reaches (sql/0030), and is far smaller.
    const rs = await storage.client.query({ query: 'SELECT max(period) AS p FROM agg_events_daily', format: 'JSONEachRow' })
    const storedUpTo = Number((await rs.json<{ p: string | number }>())[0]?.p ?? 0)
    return { salts: createMemorySaltStore(now, storedUpTo), close: async () => {} }
  }
  if (!config.SALT_WRAP_KEY) {
    throw new ConfigError('with CLICKHOUSE_URL, set SALT_WRAP_KEY (32 random bytes, e.g. `openssl rand -hex 32`): salts are stored wrapped with it (docs/operations.md, "Salts and keys")')
  }
  let keys: ClickHouseClient = storage.client
  let own: ClickHouseClient | undefined
  if (config.CLICKHOUSE_KEYS_USER) {
    own = keys = createClient({ url: config.CLICKHOUSE_URL, username: config.CLICKHOUSE_KEYS_USER, password: config.CLICKHOUSE_KEYS_PASSWORD, request_timeout: 30_000 })
  }
  try {
    const salts = await createSaltVault(keys, {
      database: config.CLICKHOUSE_KEYS_DATABASE,
      wrapKey: wrapKeyOf(config.SALT_WRAP_KEY),
      cluster: config.CLICKHOUSE_CLUSTER,
      now,
      onPurgeError,
    })
    return { salts, close: async () => void (await own?.close()) }
  } catch (e) {
    await own?.close()
    throw e
  }
}
