// A migrated embedded store that engine tests copy instead of migrating their own (issue 23):
// the globalSetup of vitest.config.ts migrates one template per content of the migrations
// (in a child process, test/support/migrate-template.ts) and tells the test processes where it
// is; copyTemplate() then gives a file a data directory with nothing left to migrate.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../..')
/** Where the test processes (and their children) find the template: set by the globalSetup. */
export const TEMPLATE_ENV = 'VEIL_TEST_ENGINE_TEMPLATE'

export interface TemplateManifest {
  /** The versions the template's migration applied, in order. */
  applied: number[]
  retentionMonths: number
  tables: { name: string; engine: string; create_table_query: string }[]
}

/**
 * What a migrated store depends on: the migrations, the code that applies them and the engine.
 * A template made from other inputs is never reused.
 */
function templateKey(): string {
  const h = createHash('sha256')
  const sql = join(ROOT, 'sql')
  for (const f of readdirSync(sql).sort()) h.update(f).update(readFileSync(join(sql, f)))
  for (const f of ['migrate.ts', 'migration-lock.ts', 'cluster-ddl.ts']) h.update(readFileSync(join(ROOT, 'src/storage/schema', f)))
  h.update(readFileSync(join(ROOT, 'src/storage/clickhouse/client.ts')))
  h.update(readFileSync(join(ROOT, 'node_modules/chdb/package.json')))
  return h.digest('hex').slice(0, 16)
}

/** Makes the template unless one for the same inputs exists; returns its directory. */
export function ensureTemplate(): string {
  const dir = join(tmpdir(), `veil-engine-template-${templateKey()}`)
  if (existsSync(join(dir, 'manifest.json'))) return dir
  // Built aside and renamed into place, so a run beside this one never sees half a template.
  const building = mkdtempSync(join(tmpdir(), 'veil-engine-template-building-'))
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/migrate-template.ts', building], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  })
  if (r.status !== 0) {
    rmSync(building, { recursive: true, force: true })
    throw new Error(`migrating the engine template failed (exit ${r.status}): ${r.stderr || r.error?.message}`)
  }
  try {
    renameSync(building, dir)
  } catch {
    // Another run renamed its template first: the same inputs, so the same store.
    rmSync(building, { recursive: true, force: true })
  }
  return dir
}

/** vitest globalSetup: runs in vitest's main process, before any test process starts. */
export default function setup(): void {
  process.env[TEMPLATE_ENV] = ensureTemplate()
}

export function templateManifest(dir = process.env[TEMPLATE_ENV]): TemplateManifest | undefined {
  return dir ? (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as TemplateManifest) : undefined
}

/**
 * Copies the migrated template to `dataDir` (a DATA_DIR) when it does not exist yet; returns
 * whether it did. A directory that exists (a restart, a test's own store) is left as it is, and
 * without a template (a run outside vitest.config.ts) the server migrates as it always does.
 */
export function copyTemplate(dataDir: string): boolean {
  const template = process.env[TEMPLATE_ENV]
  if (!template || existsSync(dataDir)) return false
  cpSync(join(template, 'data'), dataDir, { recursive: true })
  return true
}
