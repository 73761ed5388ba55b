// The cluster schema is generated from sql/ (src/storage/schema/cluster-ddl.ts) and cannot run on the
// embedded engine, which has no replication. So: `veil migrate --dry-run` with a cluster, run as
// an operator would (against an unreachable server, proving it does not connect), must create
// every object of the single-node schema in its cluster form, and the engine's own parser
// (formatQuery) must accept each statement.
import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStorage, type Storage } from '../../src/storage/clickhouse/client.ts'
import { readMigrations, retentionStatement, splitStatements } from '../../src/storage/schema/migrate.ts'
import { tempDir } from '../support/server.ts'

const root = resolve(import.meta.dirname, '../..')
const cluster = `c_${process.pid}`

/** `veil migrate --dry-run` as a process (asynchronously, so the test worker stays responsive). */
function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'migrate', '--dry-run'], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH!, APPS_FILE: join(tempDir(), 'apps.json'), ...env }, timeout: 30_000 }, (e, stdout, stderr) =>
      done({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout, stderr }),
    )
  })
}

async function dryRun(env: Record<string, string>): Promise<string> {
  // Port 9 (discard) on loopback: nothing answers, so any connection attempt would fail the run.
  const r = await run({ CLICKHOUSE_URL: 'http://127.0.0.1:9', ...env })
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return r.stdout
}

/** The objects the single-node schema creates: name -> 'table' | 'view'. */
function baseObjects(): Map<string, 'table' | 'view'> {
  const out = new Map<string, 'table' | 'view'>()
  for (const st of readMigrations({ retentionMonths: 24 }).flatMap((m) => m.statements)) {
    const t = /^CREATE TABLE IF NOT EXISTS (\w+)/.exec(st)
    const v = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+)/.exec(st)
    if (t) out.set(t[1]!, 'table')
    if (v) out.set(v[1]!, 'view')
  }
  return out
}

let storage: Storage
let clusterPlan: string[]
let singlePlan: string[]
beforeAll(async () => {
  storage = await openStorage({ DATA_DIR: join(tempDir(), 'ch'), CLICKHOUSE_DATABASE: 'veil', CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: '' })
  clusterPlan = splitStatements(await dryRun({ CLICKHOUSE_CLUSTER: cluster, RETENTION_MONTHS: '19' }))
  singlePlan = splitStatements(await dryRun({}))
}, 60_000)
afterAll(() => storage?.close())

const create = (plan: string[], name: string) => plan.find((s) => new RegExp(`^CREATE (TABLE|MATERIALIZED VIEW) IF NOT EXISTS ${name}\\b`).test(s))

describe('veil migrate --dry-run with CLICKHOUSE_CLUSTER', () => {
  it('creates every table and view of sql/ on the cluster, each once', () => {
    const objects = baseObjects()
    expect([...objects.values()].filter((k) => k === 'view').length).toBeGreaterThan(3)
    for (const [name, kind] of objects) {
      const st = create(clusterPlan, name)
      expect(st, name).toBeDefined()
      expect(st).toContain(`ON CLUSTER '${cluster}'`)
      if (kind === 'view') {
        // Views fire on the shard's local inserts and write the local aggregate table.
        expect(st).toMatch(/\bTO \w+_local AS\b/)
        expect(st).not.toMatch(/\bFROM events\b/)
        continue
      }
      const local = create(clusterPlan, `${name}_local`)
      if (local) {
        expect(local).toMatch(/ENGINE = Replicated\w*MergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\w+_local', '\{replica\}'/)
        expect(st).toMatch(new RegExp(`ENGINE = Distributed\\('${cluster}', currentDatabase\\(\\), ${name}_local, `))
      } else {
        // Small tables every node reads (salts, the org key) are whole on every node.
        expect(['salts', 'secrets']).toContain(name)
        expect(st).toMatch(/ENGINE = ReplicatedMergeTree\('\/clickhouse\/tables\/all\//)
      }
    }
  })

  it('keeps columns, TTLs and retention of the single-node tables', () => {
    for (const [name, kind] of baseObjects()) {
      if (kind !== 'table') continue
      const single = create(singlePlan, name)!
      const clustered = create(clusterPlan, `${name}_local`) ?? create(clusterPlan, name)!
      const columns = (s: string) => /\(\s*\n([\s\S]*?)\n\)\s*\nENGINE/.exec(s)?.[1]
      expect(columns(clustered), name).toEqual(columns(single))
      const ttl = (s: string) => /\nTTL .*/.exec(s)?.[0]
      expect(ttl(clustered)?.replace('19 MONTH', '24 MONTH'), name).toEqual(ttl(single))
    }
    expect(clusterPlan.join('\n')).toContain('INTERVAL 19 MONTH')
    expect(clusterPlan.join('\n')).not.toContain('{{')
    // Dedup of retried inserts on a replicated table is the replicated window.
    expect(create(clusterPlan, 'events_local')).toMatch(/replicated_deduplication_window = [1-9]/)
    expect(create(clusterPlan, 'events_local')).not.toMatch(/non_replicated_deduplication_window/)
    expect(create(clusterPlan, 'events')).toContain('cityHash64(app_id, user_hash)')
  })

  it('prints only statements the engine parses, single node and cluster', async () => {
    expect(clusterPlan.length).toBeGreaterThan(baseObjects().size)
    for (const st of [...clusterPlan, ...singlePlan]) {
      const rs = await storage.client.query({ query: 'SELECT formatQuery({q:String}) AS f', query_params: { q: st }, format: 'JSONEachRow' })
      const [row] = await rs.json<{ f: string }>()
      expect(row!.f.length, st.slice(0, 80)).toBeGreaterThan(10)
    }
  })

  it('changes retention on every node: ON CLUSTER, on the local table, parsed by the engine', async () => {
    const engineFull = "ReplicatedMergeTree('/clickhouse/tables/{shard}/veil/events_local', '{replica}') PARTITION BY toYYYYMM(received_at) ORDER BY (app_id, toDate(ts), name, user_hash) TTL toDateTime(received_at) + toIntervalMonth(24) SETTINGS ttl_only_drop_parts = 1"
    const st = retentionStatement('events_local', engineFull, 13, cluster)
    expect(st).toBe(`ALTER TABLE events_local ON CLUSTER '${cluster}' MODIFY TTL toDateTime(received_at) + INTERVAL 13 MONTH`)
    expect(retentionStatement('events_local', engineFull, 24, cluster)).toBeUndefined()
    const parsed = await storage.client.query({ query: 'SELECT formatQuery({q:String}) AS f', query_params: { q: st! }, format: 'JSONEachRow' })
    expect((await parsed.json<{ f: string }>())[0]!.f).toContain('ON CLUSTER')
  })

  it('needs no server address to show the cluster plan', async () => {
    const r = await run({ CLICKHOUSE_CLUSTER: cluster, RETENTION_MONTHS: '19' })
    expect(r.code).toBe(0)
    expect(splitStatements(r.stdout)).toEqual(clusterPlan)
  })

  it('is the plan a single node runs when no cluster is set', () => {
    expect(singlePlan.join('\n')).not.toMatch(/ON CLUSTER|Replicated|Distributed/)
    for (const name of baseObjects().keys()) expect(create(singlePlan, name), name).toBeDefined()
  })
})
