// One ClickHouse client for both deployments (DESIGN.md "Storage"): the official
// @clickhouse/client, over chDB's in-process connection by default or HTTP with CLICKHOUSE_URL.
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import type { Config } from '../config.ts'

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
  close(): Promise<void>
}

type StorageConfig = Pick<
  Config,
  'CLICKHOUSE_URL' | 'CLICKHOUSE_USER' | 'CLICKHOUSE_PASSWORD' | 'CLICKHOUSE_DATABASE' | 'DATA_DIR'
>

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
    })
    return { client, kind: 'server', database, close: () => client.close() }
  }

  let createChdbConnection: (opts: { path: string }) => unknown
  try {
    ;({ createChdbConnection } = await import('chdb/connection'))
  } catch (cause) {
    throw new StorageError(
      'the embedded ClickHouse (optional dependency "chdb") is not installed: set CLICKHOUSE_URL to a ClickHouse server, or run npm install with optional dependencies',
      { cause },
    )
  }
  const dir = resolve(config.DATA_DIR)
  mkdirSync(dir, { recursive: true })
  let connection: unknown
  try {
    connection = createChdbConnection({ path: dir })
  } catch (cause) {
    const text = String((cause as { cause?: unknown })?.cause ?? cause)
    if (/Cannot lock file|already running/i.test(text)) {
      throw new DataDirBusyError(
        `the data directory ${dir} is in use by another process (a running Veil server?). Stop it first, or query through a ClickHouse server with CLICKHOUSE_URL.`,
        { cause },
      )
    }
    throw new StorageError(`cannot open the embedded ClickHouse at ${dir}`, { cause })
  }
  // The connection hook is typed by @clickhouse/client-common; chdb re-exports the same interface.
  const client = createClient({ connection } as Parameters<typeof createClient>[0])
  // chDB's session ignores the client's `database` option but keeps USE for the session.
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` })
  await client.command({ query: `USE ${database}` })
  return { client, kind: 'embedded', database, close: () => client.close() }
}
