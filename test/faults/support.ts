// Shared by the fault suite (docs/durability.md): the one stand-in (a disk that fills, cuts
// writes short or fails syncs, since mounting a small tmpfs needs privileges), a spool insert
// into real storage that can be taken down, rows as the pipeline makes them, and the two checks
// every fault test ends with: acknowledged ids against stored ids (lost = 0, duplicated = 0)
// and aggregates against the events table.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import type { ClickHouseClient } from '@clickhouse/client'
import { tempDir } from '../support/server.ts'
import { nodeSpoolFs, type SpoolFile, type SpoolFs } from '../../src/storage/spool/spool-fs.ts'
import type { SpoolOptions } from '../../src/storage/spool/spool.ts'
import type { Storage } from '../../src/storage/clickhouse/client.ts'
import { EVENT_COLUMNS, type EventRow } from '../../src/pipeline/types.ts'
import { peopleMismatches } from '../support/people-daily.ts'
export { until } from '../support/until.ts'

export interface FaultyDisk {
  fs: SpoolFs
  /** Bytes the disk holds in all (its files are those of the spool directory). */
  capacity: number
  /** statfs answers as if the disk were empty (another process filled it since). */
  lieAboutSpace: boolean
  /** datasync fails with EIO; truncate too when `alsoTruncate`. */
  failSync: false | { alsoTruncate: boolean }
  writes: { short: number; enospc: number }
}

const errno = (code: string) => Object.assign(new Error(`${code}: injected by the test disk`), { code })

/** A disk of `capacity` bytes under `dir`: a write that does not fit is cut short, then ENOSPC. */
export function faultyDisk(dir: string, capacity: number): FaultyDisk {
  const used = () => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0)
  const disk: FaultyDisk = {
    capacity,
    lieAboutSpace: false,
    failSync: false,
    writes: { short: 0, enospc: 0 },
    fs: {
      async open(path, mode) {
        const f = await nodeSpoolFs.open(path, mode)
        const file: SpoolFile = {
          ...f,
          // One writev is one write to this disk: cut short or refused the same way.
          writev: (bufs, position) => file.write(Buffer.concat(bufs), position),
          async write(buf, position) {
            const size = statSync(path).size
            const growth = Math.max(0, position + buf.length - size)
            const room = disk.capacity - used()
            if (growth > room) {
              const n = Math.max(0, buf.length - (growth - Math.max(0, room)))
              if (n === 0) {
                disk.writes.enospc++
                throw errno('ENOSPC')
              }
              disk.writes.short++
              return f.write(buf.subarray(0, n), position)
            }
            return f.write(buf, position)
          },
          async datasync() {
            if (disk.failSync) throw errno('EIO')
            return f.datasync()
          },
          async truncate(length) {
            if (disk.failSync && disk.failSync.alsoTruncate) throw errno('EIO')
            return f.truncate(length)
          },
        }
        return file
      },
      freeBytes: async () => (disk.lieAboutSpace ? disk.capacity : Math.max(0, disk.capacity - used())),
      syncDir: (d) => nodeSpoolFs.syncDir(d),
    },
  }
  return disk
}

/**
 * A spool's file system that a simulated crash cuts off: after `crash()` every operation fails,
 * on files opened before it too. An abandoned spool object would otherwise go on running in the
 * test process (its feeder retrying, recording intents, deleting the segments it inserted) next
 * to the spool reopened on the same directory, which a crashed process never does.
 */
export function crashableFs(base: SpoolFs = nodeSpoolFs): { fs: SpoolFs; crash(): void; crashed(): boolean } {
  let down = false
  const dead = async (): Promise<never> => {
    throw errno('EIO')
  }
  const guard = <A extends unknown[], R>(f: (...a: A) => Promise<R>) => (...a: A): Promise<R> => (down ? dead() : f(...a))
  const fs: SpoolFs = {
    async open(path, mode) {
      if (down) return dead()
      const f = await base.open(path, mode)
      return {
        write: guard(f.write), read: guard(f.read), datasync: guard(f.datasync), truncate: guard(f.truncate),
        writev: f.writev && guard(f.writev),
        // Closing is what the crash does to every file: allowed, so the test can still close the spool.
        close: f.close,
      }
    },
    freeBytes: guard(base.freeBytes),
    syncDir: guard(base.syncDir),
  }
  return { fs, crash: () => void (down = true), crashed: () => down }
}

let n = 0
const USERS = 12 // few distinct users per day and name: uniqCombined is exact there
/**
 * A spool's insert into the events table of a real storage, as the server's (dedup token and the
 * views' deduplication), that fails like a ClickHouse outage while `down()` says so.
 */
export function storeInsert(storage: () => Storage, down: () => boolean): SpoolOptions['insert'] {
  return async (body, _rows, token, _first, format = 'JSONCompactEachRow') => {
    if (down()) throw new Error('ClickHouse is down')
    await storage().insertRaw({
      table: 'events', columns: EVENT_COLUMNS, format, body,
      settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
    })
  }
}

/** Anonymised rows as the pipeline makes them, with fresh ids, over two days and two names. */
export function rows(count: number, app = 'fault-app'): EventRow[] {
  const now = Date.now()
  return Array.from({ length: count }, () => {
    const i = ++n
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
    const ts = now - (i % 2) * 86_400_000
    return [app, id, i % 3 ? 'login' : 'click', ts, now, `u${i % USERS}`, 's', '', 1, { path: '/p' }, {}, 'DE', '', 'Chrome', '120', 'Linux', '', 'desktop', 'de', 0, 0, '', '', 'user'] as EventRow
  })
}

export const idsOf = (rs: EventRow[]) => rs.map((r) => r[1])

/** Stored count per id, for every id of `app`. */
export async function storedCounts(client: ClickHouseClient, app: string): Promise<Map<string, number>> {
  const rs = await client.query({
    query: 'SELECT toString(event_id) AS id, count() AS n FROM events WHERE app_id = {app:String} GROUP BY id',
    query_params: { app },
    format: 'JSONCompactEachRow',
  })
  return new Map((await rs.json<[string, string]>()).map(([id, c]) => [id, Number(c)]))
}

/** Acknowledged ids missing from storage, and ids stored more than once. */
export async function lostAndDuplicated(client: ClickHouseClient, app: string, acked: Iterable<string>): Promise<{ lost: number; duplicated: number; stored: number }> {
  const counts = await storedCounts(client, app)
  let lost = 0
  for (const id of acked) if (!counts.has(id)) lost++
  let duplicated = 0
  for (const c of counts.values()) if (c > 1) duplicated += c - 1
  return { lost, duplicated, stored: counts.size }
}

/**
 * Per day and name: events and distinct users in the events table against agg_events_daily,
 * and events against each breakdown dimension. Returns the rows that differ (none, when all agree).
 */
export async function aggregateMismatches(client: ClickHouseClient, app: string): Promise<unknown[]> {
  const q = async (query: string) =>
    (await (await client.query({ query, query_params: { app }, format: 'JSONCompactEachRow' })).json<unknown[]>()).map((r) => JSON.stringify(r))
  const fromEvents = await q(`SELECT toString(toDate(ts)) AS day, toString(name), count(), uniqExactIf(user_hash, user_hash != '')
    FROM events WHERE app_id = {app:String} GROUP BY day, name ORDER BY day, name`)
  const fromAgg = await q(`SELECT toString(day) AS d, toString(name) AS nm, sum(events), uniqCombinedMerge(12)(users)
    FROM agg_events_daily WHERE app_id = {app:String} GROUP BY d, nm ORDER BY d, nm`)
  const byDim = await q(`SELECT toString(dimension) AS dim, toString(day) AS d, toString(name) AS nm, sum(events)
    FROM agg_breakdowns_daily WHERE app_id = {app:String} GROUP BY dim, d, nm ORDER BY dim, d, nm`)
  const out: unknown[] = [...(await peopleMismatches(client, app)).map((r) => ({ agg_people_daily: r }))]
  const a = new Set(fromEvents)
  const b = new Set(fromAgg)
  for (const r of fromEvents) if (!b.has(r)) out.push({ events: r })
  for (const r of fromAgg) if (!a.has(r)) out.push({ agg_events_daily: r })
  const counts = new Map(fromEvents.map((r) => {
    const [d, nm, c] = JSON.parse(r) as [string, string, string]
    return [`${d}|${nm}`, String(c)]
  }))
  for (const r of byDim) {
    const [dim, d, nm, c] = JSON.parse(r) as [string, string, string, string]
    if (counts.get(`${d}|${nm}`) !== String(c)) out.push({ agg_breakdowns_daily: r, dim })
  }
  return out
}

/** The closing checks of every fault test. */
export async function expectNoLossNoDuplicateAggregatesAgree(client: ClickHouseClient, app: string, acked: Iterable<string>): Promise<void> {
  const { lost, duplicated } = await lostAndDuplicated(client, app, acked)
  expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 })
  expect(await aggregateMismatches(client, app)).toEqual([])
}

/**
 * Real tmpfs mounts for the disk-full faults, where the machine allows mounting one (root; a
 * probe of 64 KiB says whether it does). `unmountAll` goes in the test file's afterAll.
 */
export function tmpfsMounts(prefix: string): { canMount: boolean; mount(bytes: number, at?: string): string | undefined; unmountAll(): void } {
  const mounted: string[] = []
  /** Mounts on `at` (made if missing: a child's store directory) or on a new temp directory. */
  const mount = (bytes: number, at?: string): string | undefined => {
    const dir = at ?? tempDir(prefix)
    mkdirSync(dir, { recursive: true })
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'ignore' })
      mounted.push(dir)
      return dir
    } catch {
      return undefined
    }
  }
  const probe = mount(64 * 1024)
  if (probe) execFileSync('umount', [mounted.pop()!])
  return { canMount: probe !== undefined, mount, unmountAll: () => void mounted.splice(0).forEach((m) => execFileSync('umount', ['-l', m])) }
}
