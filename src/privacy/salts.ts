// Rotating per-app salts (PRIVACY.md 4). A salt is 32 random bytes for one app and one period
// (daily by default); it lives in ClickHouse so that every ingestion node uses the same one, and
// it is deleted 48 hours after its period ends, after which its hashes can no longer be linked.
import { randomBytes } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import { purgeSaltsFromDisk } from './salt-purge.ts'

export const SALT_GRACE_MS = 48 * 3600_000

export interface CurrentSalt {
  appId: string
  period: number
  salt: Buffer
  /** Distinct for every salt loaded, so caches of hashes never outlive their salt. */
  generation: number
  /** When this salt stops being used; it is deleted SALT_GRACE_MS later. */
  retiresAt: number
}

export interface SaltStore {
  /** The salt of the app's current period, created if no node has created it yet. */
  current(appId: string, rotationHours: number): Promise<CurrentSalt>
  /** The stable key for org_id hashing (pseudonymous by design). */
  orgKey(): Promise<Buffer>
  /** The stable key compat event ids are derived with (src/compat/common.ts compatEventId). */
  compatKey(): Promise<Buffer>
  /** Deletes every salt retired more than 48 hours ago, from disk too; returns how many. */
  purgeExpired(): Promise<number>
}

const toDateTime = (ms: number) => Math.floor(ms / 1000)

export function createSaltStore(client: ClickHouseClient, now: () => number = Date.now): SaltStore {
  const cache = new Map<string, CurrentSalt>()
  const creating = new Map<string, Promise<CurrentSalt>>()
  let generation = 0
  // After this node created a salt it reads the period's salt once more: a node that created
  // one at the same moment may have written a smaller one, which every node then agrees on.
  const SETTLE_MS = 5_000
  const recheckAt = new Map<string, number>()
  const secrets = new Map<string, Promise<Buffer>>()

  /**
   * A stable per-installation secret of the `secrets` table (sql/0003_salts.sql), created once
   * with random bytes; nodes that create one at the same moment all agree on the smallest.
   */
  function secret(name: string): Promise<Buffer> {
    let pending = secrets.get(name)
    if (pending) return pending
    pending = (async () => {
      const read = async () => {
        const rs = await client.query({
          query: 'SELECT min(value) AS v, count() AS n FROM secrets WHERE name = {name:String}',
          query_params: { name },
          format: 'JSONEachRow',
        })
        const [row] = await rs.json<{ v: string; n: string | number }>()
        return row && Number(row.n) > 0 ? row.v : undefined
      }
      let v = await read()
      if (!v) {
        await client.insert({ table: 'secrets', values: [[name, randomBytes(32).toString('hex'), now()]], format: 'JSONCompactEachRow' })
        v = (await read())!
      }
      return Buffer.from(v, 'hex')
    })().catch((e: unknown) => {
      secrets.delete(name)
      throw e
    })
    secrets.set(name, pending)
    return pending
  }

  async function readSalt(appId: string, period: number): Promise<string | undefined> {
    // Several nodes may create a salt for the same period at once; all agree on the smallest.
    const rs = await client.query({
      query: 'SELECT min(salt) AS salt, count() AS n FROM salts WHERE app_id = {app:String} AND period = {period:UInt32}',
      query_params: { app: appId, period },
      format: 'JSONEachRow',
    })
    const [row] = await rs.json<{ salt: string; n: string | number }>()
    return row && Number(row.n) > 0 ? row.salt : undefined
  }

  async function load(appId: string, period: number, periodMs: number): Promise<CurrentSalt> {
    let salt = await readSalt(appId, period)
    if (!salt) {
      recheckAt.set(appId, now() + SETTLE_MS)
      await client.insert({
        table: 'salts',
        values: [[appId, period, randomBytes(32).toString('hex'), now(), toDateTime((period + 1) * periodMs)]],
        format: 'JSONCompactEachRow',
      })
      salt = await readSalt(appId, period)
      // The table's TTL runs on the storage's wall clock: a salt whose grace already ended there
      // is deleted as it is written. That happens only when this node's clock is days behind
      // the storage's; say so instead of hashing with nothing.
      if (!salt) throw new Error(`the salt of period ${period} of app "${appId}" was deleted as soon as it was written: this node's clock is more than 48 hours behind the storage's`)
    }
    return { appId, period, salt: Buffer.from(salt, 'hex'), generation: ++generation, retiresAt: (period + 1) * periodMs }
  }

  return {
    async current(appId, rotationHours) {
      const periodMs = rotationHours * 3600_000
      const period = Math.floor(now() / periodMs)
      const hit = cache.get(appId)
      const recheck = recheckAt.get(appId)
      if (hit && hit.period === period) {
        if (recheck === undefined || now() < recheck) return hit
        recheckAt.delete(appId)
        const settled = await readSalt(appId, period)
        if (settled === undefined || settled === hit.salt.toString('hex')) return hit
        const agreed = { ...hit, salt: Buffer.from(settled, 'hex'), generation: ++generation }
        cache.set(appId, agreed)
        return agreed
      }
      const key = `${appId}:${period}`
      let pending = creating.get(key)
      if (!pending) {
        pending = load(appId, period, periodMs).finally(() => creating.delete(key))
        creating.set(key, pending)
      }
      const fresh = await pending
      // The previous period's salt leaves memory at once; the table keeps it 48 more hours.
      cache.set(appId, fresh)
      return fresh
    },

    orgKey: () => secret('org_hash_key'),
    // Stable like the org key, so a resent PostHog or Segment event maps to the same id.
    compatKey: () => secret('compat_id_key'),

    // Two clocks decide a salt's deletion: this purge runs on the node's clock (`now`), the
    // table's TTL on the storage's wall clock. In production both are the wall clock and
    // whichever runs first deletes it; a node whose clock lags cannot keep a salt longer.
    async purgeExpired() {
      const cutoff = toDateTime(now() - SALT_GRACE_MS)
      const rs = await client.query({
        query: 'SELECT count() AS n FROM salts WHERE retired_at <= toDateTime({cutoff:UInt32})',
        query_params: { cutoff },
        format: 'JSONEachRow',
      })
      const n = Number((await rs.json<{ n: string }>())[0]?.n ?? 0)
      // The table's TTL deletes them too; this makes deletion prompt and checkable, and it is
      // reported only once no part on disk holds them (salt-purge.ts).
      if (n > 0) await purgeSaltsFromDisk(client, cutoff)
      return n
    },
  }
}
