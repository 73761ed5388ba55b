-- Anonymised events (PRIVACY.md 1-7). Nothing raw reaches this table: ids are salted HMACs,
-- the location comes from a truncated IP, the client is reduced to families and majors.
-- TTL on the receive time drops whole monthly parts after the retention period (PRIVACY.md 7).
-- On a cluster, sharded by user so that distinct-user counts of one app stay exact per shard:
-- cluster: events shard by cityHash64(app_id, user_hash)
CREATE TABLE IF NOT EXISTS events
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
ENGINE = MergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (app_id, toDate(ts), name, user_hash)
TTL toDateTime(received_at) + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;
