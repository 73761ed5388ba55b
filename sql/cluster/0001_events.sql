-- Cluster variant of ../0001_events.sql (DESIGN.md "Scale-out"): a replicated local table on
-- every shard and a Distributed table in front of it, under the same name the code uses.
-- Columns must equal the single-node file's; a test compares them.
CREATE TABLE IF NOT EXISTS events_local ON CLUSTER '{{CLUSTER}}'
(
    app_id          LowCardinality(String),
    event_id        UUID,
    name            LowCardinality(String),
    ts              DateTime64(3, 'UTC') CODEC(Delta, ZSTD),
    received_at     DateTime64(3, 'UTC') CODEC(Delta, ZSTD),
    user_hash       String,
    session_hash    String,
    org_hash        String,
    salt_period     UInt32,
    props           Map(LowCardinality(String), String),
    metrics         Map(LowCardinality(String), Float64),
    country         LowCardinality(String),
    city            LowCardinality(String),
    browser         LowCardinality(String),
    browser_version LowCardinality(String),
    os              LowCardinality(String),
    os_version      LowCardinality(String),
    device_type     LowCardinality(String),
    lang            LowCardinality(String),
    screen_w        UInt16,
    screen_h        UInt16,
    app_version     LowCardinality(String),
    deployment      LowCardinality(String)
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/events_local', '{replica}')
PARTITION BY toYYYYMM(received_at)
ORDER BY (app_id, toDate(ts), name, user_hash)
TTL toDateTime(received_at) + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;

-- Sharded by user so that distinct-user counts of one app stay exact per shard.
CREATE TABLE IF NOT EXISTS events ON CLUSTER '{{CLUSTER}}' AS events_local
ENGINE = Distributed('{{CLUSTER}}', currentDatabase(), events_local, cityHash64(app_id, user_hash));
