// Numbered SQL migrations (sql/NNNN_name.sql), applied in order at start and recorded in
// schema_migrations, so a second start applies nothing and a new file applies once.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'

/** sql/ of the project: found upwards from this file, whether run from src/ or bundled in dist/. */
function findSqlDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'sql', '0001_events.sql'))) return join(dir, 'sql')
    dir = dirname(dir)
  }
  throw new Error('cannot find the sql/ migrations folder next to the Veil installation')
}

export const SQL_DIR = findSqlDir()

export interface MigrationOptions {
  /** Months of retention substituted for {{RETENTION_MONTHS}} (PRIVACY.md 7). */
  retentionMonths: number
  /** A ClickHouse cluster name: use the replicated + distributed variants in sql/cluster/. */
  cluster?: string
  dir?: string
}

export interface Migration {
  version: number
  name: string
  statements: string[]
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/

/** Reads the migrations of a folder, in version order, with placeholders filled in. */
export function readMigrations(opts: MigrationOptions): Migration[] {
  const dir = opts.dir ?? (opts.cluster ? join(SQL_DIR, 'cluster') : SQL_DIR)
  return readdirSync(dir)
    .filter((f) => FILE.test(f))
    .sort()
    .map((file) => {
      const [, version, name] = FILE.exec(file)!
      const text = readFileSync(join(dir, file), 'utf8')
        .replaceAll('{{RETENTION_MONTHS}}', String(opts.retentionMonths))
        .replaceAll('{{CLUSTER}}', opts.cluster ?? '')
      return { version: Number(version), name, statements: splitStatements(text) }
    })
}

/** Splits a file on semicolons that end a line; comments are dropped. */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean)
}

/** Applies pending migrations; returns the versions applied now. */
export async function migrate(client: ClickHouseClient, opts: MigrationOptions): Promise<number[]> {
  // On a cluster the record is replicated too, so every node agrees on what was applied.
  const where = opts.cluster ? ` ON CLUSTER '${opts.cluster}'` : ''
  const engine = opts.cluster
    ? "ReplicatedMergeTree('/clickhouse/tables/all/{database}/schema_migrations', '{replica}')"
    : 'MergeTree'
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations${where}
      (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
      ENGINE = ${engine} ORDER BY version`,
  })
  const rs = await client.query({ query: 'SELECT version FROM schema_migrations', format: 'JSONEachRow' })
  const done = new Set((await rs.json<{ version: number }>()).map((r) => Number(r.version)))
  const applied: number[] = []
  for (const m of readMigrations(opts)) {
    if (done.has(m.version)) continue
    for (const statement of m.statements) await client.command({ query: statement })
    await client.insert({
      table: 'schema_migrations',
      values: [{ version: m.version, name: m.name }],
      format: 'JSONEachRow',
    })
    applied.push(m.version)
  }
  return applied
}

/**
 * Brings every table whose TTL counts months (events, aggregates) to the configured retention,
 * so changing RETENTION_MONTHS takes effect on existing tables too (PRIVACY.md 7).
 * Returns the tables changed.
 */
export async function applyRetention(client: ClickHouseClient, months: number): Promise<string[]> {
  const rs = await client.query({
    query: "SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND engine_full LIKE '%TTL %toIntervalMonth(%'",
    format: 'JSONEachRow',
  })
  const changed: string[] = []
  for (const { name, engine_full } of await rs.json<{ name: string; engine_full: string }>()) {
    const m = /\bTTL (.+?) \+ toIntervalMonth\((\d+)\)/.exec(engine_full)
    if (!m || Number(m[2]) === months) continue
    await client.command({ query: `ALTER TABLE ${name} MODIFY TTL ${m[1]} + INTERVAL ${months} MONTH` })
    changed.push(name)
  }
  return changed
}
