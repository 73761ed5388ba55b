// Salts with a ClickHouse server (CLICKHOUSE_URL, PRIVACY.md 19): every ingestion node must use
// the same salt per app and period, so they are shared through a table, in a database of their
// own (CLICKHOUSE_KEYS_DATABASE) granted to the ingestion role only (keyGrants, docs/operations.md),
// and wrapped with SALT_WRAP_KEY (salt-wrap.ts). A retired salt is deleted at rotation, from disk.
import type { ClickHouseClient } from '@clickhouse/client'
import { orgKeyOf, nextGeneration, slotOf, type CurrentSalt, type SaltStore } from './salts.ts'
import { purgeSaltsFromDisk } from './salt-purge.ts'
import { unwrapSalt, unwrapSecret, wrapSalt, wrapSecret } from './salt-wrap.ts'
import { randomBytes } from 'node:crypto'

export interface VaultOptions {
  /** The key store's database (CLICKHOUSE_KEYS_DATABASE). */
  database: string
  /** SALT_WRAP_KEY as bytes. */
  wrapKey: Buffer
  cluster?: string
  now?: () => number
  /** Told when a purge started at rotation fails (the periodic purge tries again). */
  onPurgeError?: (e: unknown) => void
}

/** The key store's DDL, run by the ingestion role at start and printed by `veil migrate --dry-run`. */
export function keyStoreStatements(database: string, cluster?: string): string[] {
  const on = cluster ? ` ON CLUSTER '${cluster}'` : ''
  // Every node reads every salt: on a cluster the table is replicated whole to every node.
  const engine = (table: string) => (cluster ? `ReplicatedMergeTree('/clickhouse/tables/all/${database}/${table}', '{replica}')` : 'MergeTree')
  return [
    `CREATE DATABASE IF NOT EXISTS ${database}${on}`,
    `CREATE TABLE IF NOT EXISTS ${database}.salts${on}
(
    app_id     LowCardinality(String),
    period     UInt32,
    wrapped    String,
    created_at DateTime64(3, 'UTC'),
    retired_at DateTime('UTC')
)
ENGINE = ${engine('salts')}
ORDER BY (app_id, period, wrapped)
TTL retired_at
SETTINGS old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0`,
    // Installation secrets that must outlive periods and restarts (the compat id key), wrapped too.
    `CREATE TABLE IF NOT EXISTS ${database}.secrets${on}
(
    name       LowCardinality(String),
    wrapped    String,
    created_at DateTime64(3, 'UTC')
)
ENGINE = ${engine('secrets')}
ORDER BY (name, wrapped)`,
  ]
}

export interface GrantNames {
  /** The database of events and aggregates (CLICKHOUSE_DATABASE). */
  database: string
  /** The key store's database (CLICKHOUSE_KEYS_DATABASE). */
  keysDatabase: string
}

/**
 * The users and grants that keep salts from every role but ingestion (docs/operations.md shows
 * this text; a test keeps the two equal). `veil` reports, migrates and runs `veil sql`;
 * `veil_ingest` is the key role of ingestion nodes (CLICKHOUSE_KEYS_USER) and reads nothing else.
 */
export function keyGrants({ database, keysDatabase }: GrantNames): string {
  return `-- run as an administrator; Veil never grants anything itself
CREATE USER IF NOT EXISTS veil IDENTIFIED WITH sha256_password BY '...';
CREATE USER IF NOT EXISTS veil_ingest IDENTIFIED WITH sha256_password BY '...';
CREATE DATABASE IF NOT EXISTS ${database};
CREATE DATABASE IF NOT EXISTS ${keysDatabase};
GRANT CREATE TABLE, CREATE VIEW, ALTER, DROP TABLE, DROP VIEW, INSERT, SELECT ON ${database}.* TO veil;
GRANT CREATE TABLE, DROP TABLE, ALTER DELETE, INSERT, SELECT ON ${keysDatabase}.* TO veil_ingest;
-- nothing on ${keysDatabase}.* to veil, to analysts, or to any other user or role
REVOKE ALL ON ${keysDatabase}.* FROM veil;
`
}

const toSeconds = (ms: number) => Math.floor(ms / 1000)

// After this node created a salt it reads the period's salt once more: a node that created
// one at the same moment may have written a smaller one, which every node then agrees on.
const SETTLE_MS = 5_000
/** How long a node that created an installation secret waits before it reads the one all agree on. */
const SECRET_SETTLE_MS = 1_000

/** What the vault's queries need: the key store's client and database, the wrap key, the node's clock. */
interface KeyStore {
  client: ClickHouseClient
  db: string
  wrapKey: Buffer
  now: () => number
}

export async function createSaltVault(client: ClickHouseClient, opts: VaultOptions): Promise<SaltStore> {
  const ks: KeyStore = { client, db: opts.database, wrapKey: opts.wrapKey, now: opts.now ?? Date.now }
  const { now } = ks
  await ensureKeyStore(client, ks.db, opts.cluster)
  const cache = new Map<string, CurrentSalt>()
  const creating = new Map<string, Promise<CurrentSalt>>()
  // When this node's own salt of an app is read once more (SETTLE_MS).
  const recheckAt = new Map<string, number>()
  const secrets = new Map<string, Promise<Buffer>>()

  /** A stable installation secret, created once (readOrCreateSecret); a failed attempt is not kept. */
  function secret(name: string): Promise<Buffer> {
    let pending = secrets.get(name)
    if (pending) return pending
    pending = readOrCreateSecret(ks, name).catch((e: unknown) => {
      secrets.delete(name)
      throw e
    })
    secrets.set(name, pending)
    return pending
  }

  let purging: Promise<number> = Promise.resolve(0)
  // Two clocks decide a salt's deletion: this purge runs on the node's clock (`now`), the
  // table's TTL on the storage's wall clock. Whichever runs first deletes it.
  async function purgeOnce(): Promise<number> {
    for (const [appId, s] of cache) if (now() >= s.retiresAt) cache.delete(appId)
    return purgeRetiredSalts(ks, toSeconds(now()))
  }

  const store: SaltStore = {
    async current(appId, rotationHours) {
      const slot = slotOf(now(), rotationHours)
      const hit = cache.get(appId)
      const recheck = recheckAt.get(appId)
      if (hit && hit.period === toSeconds(slot.start) && hit.retiresAt === slot.end) {
        if (recheck === undefined || now() < recheck) return hit
        recheckAt.delete(appId)
        const settled = await readWrappedSalt(ks, appId, hit.period, toSeconds(hit.retiresAt))
        if (settled === undefined) return hit
        const agreed = unwrapCurrentSalt(ks.wrapKey, appId, hit.period, hit.retiresAt, settled)
        if (agreed.salt.equals(hit.salt)) return hit
        cache.set(appId, agreed)
        return agreed
      }
      const key = `${appId}:${toSeconds(slot.start)}:${rotationHours}`
      let pending = creating.get(key)
      if (!pending) {
        pending = loadSalt(ks, recheckAt, appId, rotationHours).finally(() => creating.delete(key))
        creating.set(key, pending)
      }
      const fresh = await pending
      cache.set(appId, fresh)
      // At rotation the retired salt goes, from the table and from disk (salt-purge.ts).
      if (hit && hit.retiresAt <= now()) void store.purgeExpired().catch((e: unknown) => opts.onPurgeError?.(e))
      return fresh
    },
    compatKey: () => secret('compat_id_key'),
    held: (appId) => {
      const s = cache.get(appId)
      return s && now() < s.retiresAt ? [s] : []
    },
    // One purge at a time: a call during one (started at rotation) waits for it, then runs.
    purgeExpired() {
      const run = purging.catch(() => 0).then(purgeOnce)
      purging = run
      return run
    },
    overdueSeconds: () => overdueSecondsOf(ks),
  }
  return store
}

/** The wrapped salt of an app's period; several nodes may create one at once, and all agree on the smallest. */
async function readWrappedSalt({ client, db }: KeyStore, appId: string, period: number, retiredAt: number): Promise<string | undefined> {
  const rs = await client.query({
    query: `SELECT min(wrapped) AS w, count() AS n FROM ${db}.salts WHERE app_id = {app:String} AND period = {period:UInt32} AND retired_at = toDateTime({end:UInt32})`,
    query_params: { app: appId, period, end: retiredAt },
    format: 'JSONEachRow',
  })
  const [row] = await rs.json<{ w: string; n: string | number }>()
  return row && Number(row.n) > 0 ? row.w : undefined
}

function unwrapCurrentSalt(wrapKey: Buffer, appId: string, period: number, retiresAt: number, wrapped: string): CurrentSalt {
  const salt = unwrapSalt(wrapKey, wrapped, appId, period)
  return { appId, period, salt, generation: nextGeneration(), retiresAt, orgKey: orgKeyOf(salt, appId, period) }
}

/** The salt of the app's current slot, read from the table or created there; a created one is read again after SETTLE_MS (recheckAt). */
async function loadSalt(ks: KeyStore, recheckAt: Map<string, number>, appId: string, rotationHours: number): Promise<CurrentSalt> {
  const { client, db, wrapKey, now } = ks
  // All nodes share the salt of a calendar slot, and it survives a node's restart: the id
  // is the slot's start (seconds), its end the retirement.
  const slot = slotOf(now(), rotationHours)
  const period = toSeconds(slot.start)
  let wrapped = await readWrappedSalt(ks, appId, period, toSeconds(slot.end))
  if (!wrapped) {
    recheckAt.set(appId, now() + SETTLE_MS)
    await client.insert({
      table: `${db}.salts`,
      values: [[appId, period, wrapSalt(wrapKey, randomBytes(32), appId, period), now(), toSeconds(slot.end)]],
      format: 'JSONCompactEachRow',
    })
    wrapped = await readWrappedSalt(ks, appId, period, toSeconds(slot.end))
    // The table's TTL runs on the storage's wall clock: a salt already retired there is
    // deleted as it is written. Say so instead of hashing with nothing.
    if (!wrapped) throw new Error(`the salt of period ${period} of app "${appId}" was deleted as soon as it was written: this node's clock is behind the storage's by more than the period`)
  }
  return unwrapCurrentSalt(wrapKey, appId, period, slot.end, wrapped)
}

/** A stable installation secret, created when missing; nodes that create one together agree on the smallest. */
async function readOrCreateSecret({ client, db, wrapKey, now }: KeyStore, name: string): Promise<Buffer> {
  const read = async () => {
    const rs = await client.query({ query: `SELECT min(wrapped) AS w, count() AS n FROM ${db}.secrets WHERE name = {name:String}`, query_params: { name }, format: 'JSONEachRow' })
    const [row] = await rs.json<{ w: string; n: string | number }>()
    return row && Number(row.n) > 0 ? row.w : undefined
  }
  let w = await read()
  if (!w) {
    await client.insert({ table: `${db}.secrets`, values: [[name, wrapSecret(wrapKey, randomBytes(32), name), now()]], format: 'JSONCompactEachRow' })
    // A node that found none at the same moment writes its own; unlike a salt, a secret is kept
    // for good, so this node waits for it before it reads the smallest, once per installation.
    await new Promise((r) => setTimeout(r, SECRET_SETTLE_MS))
    w = (await read())!
  }
  return unwrapSecret(wrapKey, w, name)
}

/** Counts the salts retired by `cutoff` (seconds) and, when there are any, deletes them from the table and from disk. */
async function purgeRetiredSalts({ client, db }: KeyStore, cutoff: number): Promise<number> {
  const rs = await client.query({
    query: `SELECT count() AS n FROM ${db}.salts WHERE retired_at <= toDateTime({cutoff:UInt32})`,
    query_params: { cutoff },
    format: 'JSONEachRow',
  })
  const n = Number((await rs.json<{ n: string }>())[0]?.n ?? 0)
  // Reported only once no part on disk holds them (salt-purge.ts).
  if (n > 0) await purgeSaltsFromDisk(client, cutoff, { database: db })
  return n
}

/** How long the oldest retired salt still in the table has been overdue, in seconds; 0 when none is. */
async function overdueSecondsOf({ client, db, now }: KeyStore): Promise<number> {
  const rs = await client.query({
    query: `SELECT count() AS n, min(toUInt32(retired_at)) AS r FROM ${db}.salts WHERE retired_at <= toDateTime({now:UInt32})`,
    query_params: { now: toSeconds(now()) },
    format: 'JSONEachRow',
  })
  const [row] = await rs.json<{ n: string | number; r: string | number }>()
  return Number(row?.n ?? 0) > 0 ? Math.max(0, toSeconds(now()) - Number(row!.r)) : 0
}

/**
 * Creates the key store when missing. The database is looked up first: an administrator may
 * have created it, and the ingestion role then needs no right to create databases.
 */
async function ensureKeyStore(client: ClickHouseClient, db: string, cluster?: string): Promise<void> {
  const [createDb, ...tables] = keyStoreStatements(db, cluster)
  const rs = await client.query({ query: 'SELECT count() AS n FROM system.databases WHERE name = {db:String}', query_params: { db }, format: 'JSONEachRow' })
  if (Number((await rs.json<{ n: string }>())[0]?.n ?? 0) === 0) await client.command({ query: createDb! })
  for (const query of tables) await client.command({ query })
}

/**
 * What `veil migrate --dry-run` adds after the migrations: the key store the ingestion role
 * creates at start (with CLICKHOUSE_URL), and, commented out, the users and grants an
 * administrator runs (keyGrants): Veil never runs them.
 */
export function keyStorePlan(names: GrantNames & { cluster?: string }): string {
  const grants = keyGrants(names).trimEnd().split('\n').map((l) => (l.startsWith('--') ? l : `-- ${l}`))
  return [
    '',
    '-- key store: with CLICKHOUSE_URL only, created by the ingestion role (CLICKHOUSE_KEYS_USER) at start;',
    '-- the embedded engine keeps salts in the server\'s memory only (PRIVACY.md 19)',
    ...keyStoreStatements(names.keysDatabase, names.cluster).map((s) => `${s};`),
    '',
    '-- users and grants (docs/operations.md, "Salts and keys")',
    ...grants,
  ].join('\n') + '\n'
}
