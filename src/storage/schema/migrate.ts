// Numbered SQL migrations (sql/NNNN_name.sql), applied in order at start and recorded in
// schema_migrations, so a second start applies nothing and a new file applies once. On a cluster
// the same files are translated to their cluster form (cluster-ddl.ts); there is no second copy.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import { createClusterTranslator, readClusterHints, type ClusterHints } from './cluster-ddl.ts'
import { lockTableStatement, withMigrationLock } from './migration-lock.ts'

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
  /** A ClickHouse cluster name: tables become replicated + distributed (cluster-ddl.ts). */
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
  const dir = opts.dir ?? SQL_DIR
  const files = readdirSync(dir)
    .filter((f) => FILE.test(f))
    .sort()
    .map((file) => ({ file, text: readFileSync(join(dir, file), 'utf8').replaceAll('{{RETENTION_MONTHS}}', String(opts.retentionMonths)) }))
  const hints: ClusterHints = { everywhere: new Set(), shardBy: new Map() }
  for (const f of files) readClusterHints(f.text, hints)
  const translate = opts.cluster ? createClusterTranslator(opts.cluster, hints) : (s: string) => [s]
  return files.map(({ file, text }) => {
    const [, version, name] = FILE.exec(file)!
    return { version: Number(version), name: name!, statements: splitStatements(text).flatMap(translate) }
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

/** The bookkeeping tables every run creates first: the record of migrations and the lock. */
export function bootstrapStatements(cluster?: string): string[] {
  // On a cluster the record is replicated to every node, so every node agrees on what was applied.
  const where = cluster ? ` ON CLUSTER '${cluster}'` : ''
  const engine = cluster
    ? "ReplicatedMergeTree('/clickhouse/tables/all/{database}/schema_migrations', '{replica}')"
    : 'MergeTree'
  return [
    `CREATE TABLE IF NOT EXISTS schema_migrations${where}
(version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
ENGINE = ${engine} ORDER BY version`,
    lockTableStatement(cluster),
  ]
}

/**
 * Every statement a migration run would execute on an empty database, in order, as SQL text
 * (`veil migrate --dry-run`). A real run skips the migrations already recorded.
 */
export function migrationPlan(opts: MigrationOptions): string {
  const out = ['-- bookkeeping', ...bootstrapStatements(opts.cluster).map((s) => `${s};`)]
  for (const m of readMigrations(opts)) {
    out.push('', `-- ${String(m.version).padStart(4, '0')}_${m.name}`, ...m.statements.map((s) => `${s};`))
    out.push(`INSERT INTO schema_migrations (version, name) VALUES (${m.version}, '${m.name}');`)
  }
  return out.join('\n') + '\n'
}

async function appliedVersions(client: ClickHouseClient): Promise<Set<number>> {
  const rs = await client.query({ query: 'SELECT DISTINCT version FROM schema_migrations', format: 'JSONEachRow' })
  return new Set((await rs.json<{ version: number }>()).map((r) => Number(r.version)))
}

/**
 * Applies pending migrations; returns the versions applied now. Nodes starting together take
 * turns through the lock (migration-lock.ts), and each re-reads the record once it holds the
 * lock, so every migration runs once.
 */
export async function migrate(client: ClickHouseClient, opts: MigrationOptions): Promise<number[]> {
  for (const query of bootstrapStatements(opts.cluster)) await client.command({ query })
  const migrations = readMigrations(opts)
  const pending = (done: Set<number>) => migrations.filter((m) => !done.has(m.version))
  if (pending(await appliedVersions(client)).length === 0) return []
  return withMigrationLock(client, async () => {
    const applied: number[] = []
    for (const m of pending(await appliedVersions(client))) {
      for (const statement of m.statements) await client.command({ query: statement })
      await client.insert({ table: 'schema_migrations', values: [{ version: m.version, name: m.name }], format: 'JSONEachRow' })
      applied.push(m.version)
    }
    return applied
  })
}

/**
 * Brings every table whose TTL counts months (events, aggregates) to the configured retention,
 * so changing RETENTION_MONTHS takes effect on existing tables too (PRIVACY.md 7). On a cluster
 * the TTL lives on the local tables, and the change goes to every node with ON CLUSTER.
 * Returns the tables changed.
 */
export async function applyRetention(client: ClickHouseClient, months: number, cluster?: string): Promise<string[]> {
  const rs = await client.query({
    query: "SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND engine_full LIKE '%TTL %toIntervalMonth(%'",
    format: 'JSONEachRow',
  })
  const changed: string[] = []
  for (const { name, engine_full } of await rs.json<{ name: string; engine_full: string }>()) {
    const query = retentionStatement(name, engine_full, months, cluster)
    if (!query) continue
    await client.command({ query })
    changed.push(name)
  }
  return changed
}

/** The ALTER that gives a table (by its engine_full) `months` of retention; none when it has them. */
export function retentionStatement(table: string, engineFull: string, months: number, cluster?: string): string | undefined {
  const m = /\bTTL (.+?) \+ toIntervalMonth\((\d+)\)/.exec(engineFull)
  if (!m || Number(m[2]) === months) return undefined
  const where = cluster ? ` ON CLUSTER '${cluster}'` : ''
  return `ALTER TABLE ${table}${where} MODIFY TTL ${m[1]} + INTERVAL ${months} MONTH`
}

/** Whether the store's database holds a table of this name (an older store may lack a newer one). */
export async function hasTable(client: ClickHouseClient, name: string): Promise<boolean> {
  const rs = await client.query({ query: 'SELECT 1 FROM system.tables WHERE database = currentDatabase() AND name = {name:String}', query_params: { name }, format: 'JSONCompactEachRow' })
  return (await rs.json<unknown[]>()).length > 0
}
