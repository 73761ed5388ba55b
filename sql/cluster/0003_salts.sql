-- Cluster variant of ../0003_salts.sql: salts and the org key are small and read by every
-- ingestion node, so they are replicated to every replica of one shard, not distributed.
CREATE TABLE IF NOT EXISTS salts ON CLUSTER '{{CLUSTER}}'
(
    app_id     LowCardinality(String),
    period     UInt32,
    salt       String,
    created_at DateTime64(3, 'UTC'),
    retired_at DateTime('UTC')
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/salts', '{replica}')
ORDER BY (app_id, period, salt)
TTL retired_at + INTERVAL 48 HOUR;

CREATE TABLE IF NOT EXISTS secrets ON CLUSTER '{{CLUSTER}}'
(
    name       LowCardinality(String),
    value      String,
    created_at DateTime64(3, 'UTC')
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/secrets', '{replica}')
ORDER BY (name, value);
