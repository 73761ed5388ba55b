-- Rejected events, kept 30 days for debugging SDKs (PRIVACY.md 7). They are anonymised before
-- they get here: ids hashed, strings scrubbed, no IP, no User-Agent.
CREATE TABLE IF NOT EXISTS quarantine
(
    app_id      LowCardinality(String),
    received_at DateTime64(3, 'UTC'),
    batch_index UInt16,
    reason      String,
    name        String,
    event       String
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(received_at)
ORDER BY (app_id, received_at)
TTL toDateTime(received_at) + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1;
