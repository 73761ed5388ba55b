-- Cluster variant of ../0002_quarantine.sql.
CREATE TABLE IF NOT EXISTS quarantine_local ON CLUSTER '{{CLUSTER}}'
(
    app_id      LowCardinality(String),
    received_at DateTime64(3, 'UTC'),
    batch_index UInt16,
    reason      String,
    name        String,
    event       String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/quarantine_local', '{replica}')
PARTITION BY toYYYYMMDD(received_at)
ORDER BY (app_id, received_at)
TTL toDateTime(received_at) + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS quarantine ON CLUSTER '{{CLUSTER}}' AS quarantine_local
ENGINE = Distributed('{{CLUSTER}}', currentDatabase(), quarantine_local, rand());
