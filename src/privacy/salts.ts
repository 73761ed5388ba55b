// Rotating per-app salts (PRIVACY.md 4, 15, 19): 32 random bytes per app and salt period, never
// readable by the role that reports or runs `veil sql`. The embedded engine keeps them in this
// process's memory only (here); a ClickHouse server keeps them wrapped in a database of their own
// (salt-vault.ts). A salt leaves the node when its period ends, and with it the app's org key.
import { hkdfSync, randomBytes } from 'node:crypto'

export interface CurrentSalt {
  appId: string
  /**
   * The salt period's id: the second (Unix time) from which this salt is used. It names one
   * salt, not a calendar slot: a restart mid-period starts a new salt with a new id, so one
   * person seen before and after counts in two periods, each a lower bound of people.
   */
  period: number
  salt: Buffer
  /** Distinct for every salt loaded, so caches of hashes never outlive their salt. */
  generation: number
  /** When this salt stops being used (the calendar boundary of its slot); it is deleted then. */
  retiresAt: number
  /** The app's organisation key for this period: HKDF of the salt, so it rotates with it. */
  orgKey: Buffer
}

export interface SaltStore {
  /** The salt of the app's current period, created if no node has created it yet. */
  current(appId: string, rotationHours: number): Promise<CurrentSalt>
  /**
   * The installation's key compat event ids are derived with (src/compat/common.ts
   * compatEventId): stable, so that a resent PostHog or Segment event maps to the same id.
   */
  compatKey(): Promise<Buffer>
  /** The salts this node holds now for the app (the current one, and none retired). */
  held(appId: string): CurrentSalt[]
  /** Deletes every salt whose period has ended (from disk too, on a server); returns how many. */
  purgeExpired(): Promise<number>
  /** Seconds since the earliest retirement of a salt still kept (0: none is); for /metrics. */
  overdueSeconds(): Promise<number>
}

/** The calendar slot of `now` for a rotation: its start and its end (ms). */
export function slotOf(now: number, rotationHours: number): { start: number; end: number } {
  const ms = rotationHours * 3600_000
  const start = Math.floor(now / ms) * ms
  return { start, end: start + ms }
}

/**
 * The org key of an app and period (PRIVACY.md 4): derived from the period's salt with HKDF
 * (RFC 5869) under its own label, so it is per app, rotates with the salt and is gone with it;
 * one customer's org_id hashes differently in every app and every period.
 */
export function orgKeyOf(salt: Buffer, appId: string, period: number): Buffer {
  return Buffer.from(hkdfSync('sha256', salt, Buffer.alloc(0), `veil org v1\u0000${appId}\u0000${period}`, 32))
}

let generations = 0
/** A generation number unique in this process, across stores. */
export const nextGeneration = () => ++generations

/**
 * The embedded engine's salts: in this process's memory only, never in a table, the spool or a
 * log (PRIVACY.md 19). A restart loses them, so the first salt after a start is a new period
 * (its id is the start's second, later than any id before it) that still ends at the slot's
 * calendar boundary; later salts start at their slot's boundary. Ids of one app only grow.
 */
export function createMemorySaltStore(now: () => number = Date.now, storedUpTo = 0): SaltStore {
  // `storedUpTo`: the largest period id already stored (openSaltStore reads it from events), so
  // that a restart within the same second, or under an injected clock, still starts a new id.
  const startedAt = Math.max(Math.floor(now() / 1000), storedUpTo + 1)
  const live = new Map<string, CurrentSalt & { rotationHours: number }>()
  const lastPeriod = new Map<string, number>()
  // The compat id key lives in memory too (PRIVACY.md 19): a restart draws a new one, so an
  // event stored just before a restart and resent by its SDK after it is stored twice (the
  // retry memory is lost at a restart as well; docs/compat.md).
  const compat = randomBytes(32)

  function retire(): number {
    let n = 0
    for (const [appId, s] of live) {
      if (now() < s.retiresAt) continue
      // Its bytes are not overwritten: a request still holding them finishes its batch. With the
      // entry gone, nothing of this node can hand it out again (keyed-cache.ts for the caches).
      live.delete(appId)
      n++
    }
    return n
  }

  return {
    async current(appId, rotationHours) {
      const hit = live.get(appId)
      if (hit && now() < hit.retiresAt && hit.rotationHours === rotationHours) return hit
      retire()
      const slot = slotOf(now(), rotationHours)
      const period = Math.max(Math.floor(slot.start / 1000), startedAt, (lastPeriod.get(appId) ?? -1) + 1)
      const salt = randomBytes(32)
      const fresh = { appId, period, salt, generation: nextGeneration(), retiresAt: slot.end, orgKey: orgKeyOf(salt, appId, period), rotationHours }
      live.set(appId, fresh)
      lastPeriod.set(appId, period)
      return fresh
    },
    compatKey: async () => compat,
    held: (appId) => {
      const s = live.get(appId)
      return s && now() < s.retiresAt ? [s] : []
    },
    purgeExpired: async () => retire(),
    overdueSeconds: async () => Math.max(0, ...[...live.values()].map((s) => Math.floor((now() - s.retiresAt) / 1000))),
  }
}
