-- Daily crashes per fingerprint and error type (issue 4), for the top-crashes table. Crash
-- rate per app version comes from the breakdowns table (app_start and app_crash per version).
CREATE TABLE IF NOT EXISTS agg_crashes_daily
(
    app_id      LowCardinality(String),
    day         Date,
    fingerprint String,
    error_type  LowCardinality(String),
    users       AggregateFunction(uniqCombined(12), String),
    crashes     SimpleAggregateFunction(sum, UInt64),
    fatal       SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, fingerprint, error_type)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_crashes_daily_mv TO agg_crashes_daily AS
SELECT app_id, toDate(ts) AS day, props['fingerprint'] AS fingerprint, props['error_type'] AS error_type,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       toUInt64(count()) AS crashes,
       toUInt64(countIf(props['fatal'] = 'true')) AS fatal
FROM events
WHERE name = 'app_crash'
GROUP BY app_id, day, fingerprint, error_type;
