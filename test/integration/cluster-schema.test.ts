// The cluster variant of the schema (sql/cluster/) cannot run on the embedded engine, which has
// no replication; these tests keep it from drifting from the single-node schema that does run.
import { describe, expect, it } from 'vitest'
import { readMigrations } from '../../src/storage/migrate.ts'

const columnsOf = (statement: string) => {
  const body = /\(\s*\n([\s\S]*?)\n\)\s*\nENGINE/.exec(statement)?.[1] ?? ''
  return body.split('\n').map((l) => l.trim().replace(/,$/, '').replace(/\s+/g, ' ')).filter(Boolean)
}

describe('cluster schema', () => {
  const single = readMigrations({ retentionMonths: 24 })
  const cluster = readMigrations({ retentionMonths: 24, cluster: 'veil' })

  it('has a cluster variant of every base migration, with the cluster name filled in', () => {
    const base = single.filter((m) => m.version < 10).map((m) => m.version)
    expect(cluster.map((m) => m.version)).toEqual(base)
    for (const m of cluster) {
      for (const st of m.statements) {
        expect(st).toContain("ON CLUSTER 'veil'")
        expect(st).not.toContain('{{')
      }
    }
  })

  it.each([
    ['events', 'events_local'],
    ['quarantine', 'quarantine_local'],
    ['salts', 'salts'],
    ['secrets', 'secrets'],
  ])('gives %s the same columns and TTL as the single-node table', (table, local) => {
    const find = (ms: typeof single, name: string) =>
      ms.flatMap((m) => m.statements).find((s) => new RegExp(`CREATE TABLE IF NOT EXISTS ${name}\\b`).test(s))!
    const a = find(single, table)
    const b = find(cluster, local)
    expect(columnsOf(b)).toEqual(columnsOf(a))
    expect(columnsOf(a).length).toBeGreaterThan(2)
    expect(/TTL .*/.exec(b)?.[0]).toEqual(/TTL .*/.exec(a)?.[0])
    expect(b).toMatch(/ENGINE = ReplicatedMergeTree/)
  })
})
