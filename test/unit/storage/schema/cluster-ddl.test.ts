// The cluster translation of migrations that do not exist yet: a new aggregate with its view,
// a column added later, a dedup setting, a view replaced, a backfill. Each must come out in a
// form that works on a sharded, replicated cluster without anyone editing the generator.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createClusterTranslator, readClusterHints } from '../../../../src/storage/schema/cluster-ddl.ts'
import { readMigrations } from '../../../../src/storage/schema/migrate.ts'

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

function migrations(files: Record<string, string>, cluster = 'prod') {
  dir = mkdtempSync(join(tmpdir(), 'veil-cluster-ddl-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return readMigrations({ retentionMonths: 24, cluster, dir }).flatMap((m) => m.statements)
}

const EVENTS = 'CREATE TABLE IF NOT EXISTS events\n(\n    app_id String,\n    user_hash String,\n    salt_period UInt32\n)\nENGINE = MergeTree\nORDER BY app_id\nSETTINGS non_replicated_deduplication_window = 100;\n'

describe('cluster translation', () => {
  it('turns a new aggregate table and its view into local replicated tables, a Distributed table and a local view', () => {
    const out = migrations({
      '0001_events.sql': EVENTS,
      '0020_agg_period.sql': `CREATE TABLE IF NOT EXISTS agg_users_period
(
    app_id      String,
    salt_period UInt32,
    users       AggregateFunction(uniqExact, String)
)
ENGINE = ReplacingMergeTree(salt_period)
ORDER BY (app_id, salt_period);

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_users_period_mv TO agg_users_period AS
SELECT app_id, salt_period, uniqExactState(user_hash) AS users FROM events GROUP BY app_id, salt_period;
`,
    })
    expect(out[0]).toContain("CREATE TABLE IF NOT EXISTS events_local ON CLUSTER 'prod'")
    expect(out[0]).toContain('SETTINGS replicated_deduplication_window = 100')
    expect(out[2]).toContain("CREATE TABLE IF NOT EXISTS agg_users_period_local ON CLUSTER 'prod'")
    expect(out[2]).toContain("ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/agg_users_period_local', '{replica}', salt_period)")
    expect(out[3]).toBe("CREATE TABLE IF NOT EXISTS agg_users_period ON CLUSTER 'prod' AS agg_users_period_local\nENGINE = Distributed('prod', currentDatabase(), agg_users_period_local, rand())")
    expect(out[4]).toContain("CREATE MATERIALIZED VIEW IF NOT EXISTS agg_users_period_mv ON CLUSTER 'prod' TO agg_users_period_local AS")
    expect(out[4]).toContain('FROM events_local GROUP BY')
    // An alias that happens to be a table name is not a table reference.
    expect(out).toHaveLength(5)
  })

  it('adds a column on the local and the Distributed table, but changes TTL and settings on the local one only', () => {
    const out = migrations({
      '0001_events.sql': EVENTS,
      '0030_more.sql': 'ALTER TABLE events ADD COLUMN IF NOT EXISTS plan LowCardinality(String);\nALTER TABLE events MODIFY SETTING non_replicated_deduplication_window = 1000;\nALTER TABLE events MODIFY TTL now() + INTERVAL 1 YEAR;\n',
    }).slice(2)
    expect(out).toEqual([
      "ALTER TABLE events_local ON CLUSTER 'prod' ADD COLUMN IF NOT EXISTS plan LowCardinality(String)",
      "ALTER TABLE events ON CLUSTER 'prod' ADD COLUMN IF NOT EXISTS plan LowCardinality(String)",
      "ALTER TABLE events_local ON CLUSTER 'prod' MODIFY SETTING replicated_deduplication_window = 1000",
      "ALTER TABLE events_local ON CLUSTER 'prod' MODIFY TTL now() + INTERVAL 1 YEAR",
    ])
  })

  it('drops a view everywhere, drops both halves of a sharded table, and backfills through the Distributed tables', () => {
    const out = migrations({
      '0001_events.sql': EVENTS,
      '0002_old.sql': 'CREATE TABLE IF NOT EXISTS old_agg (app_id String) ENGINE = AggregatingMergeTree ORDER BY app_id;\n',
      '0040_swap.sql': 'DROP VIEW IF EXISTS old_agg_mv;\nDROP TABLE IF EXISTS old_agg;\nINSERT INTO events SELECT * FROM events WHERE 0;\n',
    }).slice(4)
    expect(out).toEqual([
      "DROP VIEW IF EXISTS old_agg_mv ON CLUSTER 'prod'",
      "DROP TABLE IF EXISTS old_agg ON CLUSTER 'prod'",
      "DROP TABLE IF EXISTS old_agg_local ON CLUSTER 'prod'",
      'INSERT INTO events SELECT * FROM events WHERE 0',
    ])
  })

  it('keeps a table marked "everywhere" whole on every node, and uses a marked sharding key', () => {
    const hints = readClusterHints('-- cluster: keys everywhere\n-- cluster: events shard by cityHash64(app_id)\n')
    const t = createClusterTranslator('c1', hints)
    expect(t('CREATE TABLE keys (k String) ENGINE = MergeTree ORDER BY k')).toEqual([
      "CREATE TABLE keys ON CLUSTER 'c1' (k String) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/keys', '{replica}') ORDER BY k",
    ])
    expect(t('CREATE TABLE events (a String) ENGINE = MergeTree() ORDER BY a')[1]).toContain("Distributed('c1', currentDatabase(), events_local, cityHash64(app_id))")
  })

  it('refuses a RENAME it cannot translate safely, with a message', () => {
    const t = createClusterTranslator('c1', readClusterHints(''))
    expect(() => t('RENAME TABLE a TO b')).toThrow(/RENAME\/EXCHANGE cannot be translated/)
  })
})
