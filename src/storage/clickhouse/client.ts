// One ClickHouse client for both deployments (DESIGN.md "Storage"): the official
// @clickhouse/client, over chDB's in-process connection by default or HTTP with CLICKHOUSE_URL.
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { exportAllocatorOptions, type Config } from '../../config.ts'
import { jsonClientLogger } from './client-logger.ts'
import { engineServerArgs, engineSessionSettings, type EngineConfig } from './engine-settings.ts'
import { gateConnection } from './engine-gate.ts'
import { createFileDoor } from './file-insert.ts'
import type { RowsFormat } from '../rows/rows-format.ts'
import { sharedStoredIds, type StoredIds } from '../dedup/stored-ids.ts'

export type { ClickHouseClient }

export class StorageError extends Error {
  override name = 'StorageError'
}

/** The embedded data directory is held by another process (a running server). */
export class DataDirBusyError extends StorageError {
  override name = 'DataDirBusyError'
}

export interface Storage {
  client: ClickHouseClient
  /** 'embedded' (chDB under DATA_DIR) or 'server' (CLICKHOUSE_URL). */
  kind: 'embedded' | 'server'
  database: string
  /** Inserts rows already encoded in `format` as they are (see insertRawVia). */
  insertRaw(insert: RawInsert): Promise<void>
  /** Whether insertRaw drops stored ids inside the insert (`RawInsert.skipStored`) for `format`. */
  skipsStoredIn(format: RowsFormat): boolean
  /** The embedded engine's recently stored ids (stored-ids.ts), unless STORED_IDS_FILTER_BYTES is 0; none on a server. */
  storedIds?: StoredIds
  close(): Promise<void>
}

export interface RawInsert {
  table: string
  columns: readonly string[]
  format: RowsFormat
  body: Buffer
  settings: Record<string, string | number>
  /** The body's row count, when known. */
  rows?: number
  /**
   * Leave out the rows whose event id is in recent_event_ids, inside the insert (file-insert.ts);
   * only where `skipsStoredIn(format)`, anywhere else the insert throws.
   */
  skipStored?: boolean
  /**
   * With `skipStored`: look up only these ids (16 RowBinary bytes each), not all of the body's.
   * The embedded Storage sets it from its filter of stored ids; callers leave it out.
   */
  checkIds?: Buffer
}

/** chDB's own insert: the Buffer goes to the engine without a copy (chdb/connection .chdb). */
interface ChdbRawInsert {
  chdb: { rawInsert(p: { table: string; columns: readonly string[]; format: string; values: Buffer; settings: Record<string, string | number> }): Promise<unknown> }
}

/**
 * Pre-encoded rows: chDB takes JSON text directly and RowBinary through a file it reads
 * (file-insert.ts: its raw insert takes text formats only); a server gets either as the body of
 * INSERT ... FORMAT (clickhouse-js `exec` with a byte stream; its `insert` wants objects for
 * JSON formats and would encode them again).
 */
function insertRawVia(client: ClickHouseClient, connection: unknown, feedDir?: string): (r: RawInsert) => Promise<void> {
  const chdb = (connection as Partial<ChdbRawInsert> | undefined)?.chdb
  if (chdb) {
    const door = createFileDoor(client, feedDir!)
    return async (r) => {
      if (r.format === 'RowBinary') return door.insert(r)
      if (r.skipStored) throw new Error(`the stored-ids check inside the insert takes RowBinary, not ${r.format}`)
      await chdb.rawInsert({ table: r.table, columns: r.columns, format: r.format, values: r.body, settings: r.settings })
    }
  }
  return async (r) => {
    if (r.skipStored) throw new Error('the stored-ids check inside the insert needs the embedded engine')
    const res = await client.exec({
      query: `INSERT INTO ${r.table} (${r.columns.join(', ')}) FORMAT ${r.format}`,
      values: Readable.from([r.body]),
      clickhouse_settings: r.settings,
    })
    res.stream.resume()
  }
}

type StorageConfig = Pick<
  Config,
  'CLICKHOUSE_URL' | 'CLICKHOUSE_USER' | 'CLICKHOUSE_PASSWORD' | 'CLICKHOUSE_DATABASE' | 'DATA_DIR'
> &
  Partial<Pick<Config, 'LOG_LEVEL' | 'STORED_IDS_FILTER_BYTES'>> &
  // Without them (tools and tests that open a store directly) the engine keeps its own defaults.
  Partial<EngineConfig>

/** The part of chdb's Session that opens the engine with server settings (chdb index.d.ts). */
interface EngineSession {
  close(): void
}
type SessionCtor = new (path: string, opts: { connectionArgs: readonly string[] }) => EngineSession

/**
 * Opens storage and makes sure the database exists. The embedded engine is loaded lazily:
 * chdb is an optional dependency that production images leave out.
 */
export async function openStorage(config: StorageConfig): Promise<Storage> {
  const database = config.CLICKHOUSE_DATABASE
  if (config.CLICKHOUSE_URL) {
    const admin = createClient({
      url: config.CLICKHOUSE_URL,
      username: config.CLICKHOUSE_USER,
      password: config.CLICKHOUSE_PASSWORD,
      log: { LoggerClass: jsonClientLogger(config.LOG_LEVEL) },
    })
    try {
      await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` })
    } finally {
      await admin.close()
    }
    const client = createClient({
      url: config.CLICKHOUSE_URL,
      username: config.CLICKHOUSE_USER,
      password: config.CLICKHOUSE_PASSWORD,
      database,
      request_timeout: 30_000,
      log: { LoggerClass: jsonClientLogger(config.LOG_LEVEL) },
    })
    return { client, kind: 'server', database, insertRaw: insertRawVia(client, undefined), skipsStoredIn: () => false, close: () => client.close() }
  }

  const engine = config.ENGINE_CACHE_BYTES !== undefined && config.ENGINE_INSERT_BLOCK_ROWS !== undefined && config.ENGINE_MALLOC_CONF !== undefined
    ? (config as EngineConfig)
    : undefined
  // Before the first import: chDB's allocator reads its options once, when the library loads.
  if (engine) exportAllocatorOptions(engine)
  let createChdbConnection: (opts: { path: string }) => unknown
  let Session: SessionCtor
  try {
    ;({ createChdbConnection } = await import('chdb/connection'))
    ;({ Session } = (await import('chdb')) as unknown as { Session: SessionCtor })
  } catch (cause) {
    throw new StorageError(
      'the embedded ClickHouse (optional dependency "chdb") is not installed: set CLICKHOUSE_URL to a ClickHouse server, or run npm install with optional dependencies',
      { cause },
    )
  }
  const dir = resolve(config.DATA_DIR)
  mkdirSync(dir, { recursive: true })
  const busy = (holder: number, cause?: unknown) =>
    new DataDirBusyError(
      `the data directory ${dir} is in use by another process (a running Veil server?, pid ${holder}). Stop it first, or use a ClickHouse server with CLICKHOUSE_URL.`,
      { cause },
    )
  // Checked first so that the engine's own lock error never has to be read from its output.
  const holder = lockHolder(dir)
  if (holder !== undefined) throw busy(holder)
  let connection: unknown
  // createChdbConnection takes no engine arguments; the engine starts with the first connection
  // to a directory and later ones share it, so a session opened first carries the server
  // settings. It is held until close. Its calls wait their turn in Veil, not on Node's thread
  // pool, which the spool's writes and syncs need (engine-gate.ts).
  let starter: EngineSession | undefined
  try {
    if (engine) starter = new Session(dir, { connectionArgs: engineServerArgs(engine) })
    connection = gateConnection(createChdbConnection({ path: dir }) as object)
  } catch (cause) {
    starter?.close()
    const late = lockHolder(dir)
    if (late !== undefined) throw busy(late, cause)
    throw new StorageError(`cannot open the embedded ClickHouse at ${dir}${unwritable(dir)}`, { cause })
  }
  // The connection hook is typed by @clickhouse/client-common; chdb re-exports the same interface.
  // chDB applies a call's clickhouse_settings as SET statements on its one session, so they
  // outlive the call: an insert_deduplication_token set by one insert (a write, the migration
  // lock) would be inherited by the next insert that sets none, which the table then drops as a
  // duplicate. Every call therefore states the token, '' unless it passes its own.
  const client = createClient({ connection, clickhouse_settings: { insert_deduplication_token: '' } } as Parameters<typeof createClient>[0])
  // chDB's session ignores the client's `database` option but keeps USE for the session.
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` })
  await client.command({ query: `USE ${database}` })
  if (engine) {
    const settings = Object.entries(engineSessionSettings(engine)).map(([k, v]) => `SET ${k} = ${v}`)
    for (const query of settings) await client.command({ query })
  }
  const raw = insertRawVia(client, connection, join(dir, 'veil-feed'))
  // What enters events is remembered for the stored-ids check (stored-ids.ts): this process is
  // the only one that writes to this engine. Once the filter is loaded, the check inside the
  // insert looks up only the ids it may hold, and a body with none is inserted without it.
  const storedIds = config.STORED_IDS_FILTER_BYTES ? sharedStoredIds(client, dir, config.STORED_IDS_FILTER_BYTES) : undefined
  const insertRaw = storedIds
    ? async (r: RawInsert) => {
        if (r.skipStored && r.format === 'RowBinary' && storedIds.filter.loaded) {
          // One walk: the probable ids, and every id added (a retry re-sends the range as it was).
          const checkIds = await storedIds.filter.probableThenAdd(r.body)
          return raw(checkIds.length > 0 ? { ...r, checkIds } : { ...r, skipStored: false })
        }
        await raw(r)
        if (r.table === 'events') await storedIds.remember(r.body, r.format)
      }
    : raw
  const close = async () => {
    storedIds?.release()
    await client.close()
    starter?.close()
  }
  return { client, kind: 'embedded', database, insertRaw, skipsStoredIn: (f) => f === 'RowBinary', storedIds, close }
}

/**
 * Why the engine could not open `dir`, when the file system says (read-only, no space, no
 * permission): the engine prints the cause only to stderr as text, and the log line must carry
 * it (issue 24: a read-only store was named only in that non-JSON line). '' when it can write.
 */
function unwritable(dir: string): string {
  try {
    closeSync(openSync(join(dir, 'status'), 'a'))
    return ''
  } catch (e) {
    const { code, message } = e as NodeJS.ErrnoException
    return `: the data directory cannot be written (${code ?? 'error'}: ${message})`
  }
}

/**
 * The pid of a live process holding the embedded store. ClickHouse writes `PID: n` to
 * DATA_DIR/status while it runs (chdb reports only a generic error when it cannot lock it).
 */
function lockHolder(dir: string): number | undefined {
  let text: string
  try {
    text = readFileSync(join(dir, 'status'), 'utf8')
  } catch {
    return undefined
  }
  const pid = Number(/^PID: (\d+)/m.exec(text)?.[1])
  if (!pid || pid === process.pid) return undefined
  try {
    process.kill(pid, 0)
    return pid
  } catch {
    return undefined
  }
}
