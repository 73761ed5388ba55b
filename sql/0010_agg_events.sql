-- Daily active users and event counts per event name (issue 4). Dashboards read days here,
-- not events. users is a uniqCombined(12) state of user_hash: exact for small groups (where
-- k-anonymity decides), about 1-2 % off for large ones, and cheap to merge (a dashboard merges
-- thousands of them). Hashes are comparable only within one salt period, so merging days gives
-- an upper bound of distinct people (PRIVACY.md 4).
CREATE TABLE IF NOT EXISTS agg_events_daily
(
    app_id LowCardinality(String),
    day    Date,
    name   LowCardinality(String),
    users  AggregateFunction(uniqCombined(12), String),
    events SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, name)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_events_daily_mv TO agg_events_daily AS
SELECT app_id, toDate(ts) AS day, name,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       toUInt64(count()) AS events
FROM events
GROUP BY app_id, day, name;
