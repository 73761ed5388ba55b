-- Daily CM data imports (issue 4): count, failures (status 'failed') and records imported.
-- Users per day come from agg_events_daily (name cm_data_import), which decides suppression.
CREATE TABLE IF NOT EXISTS agg_imports_daily
(
    app_id  LowCardinality(String),
    day     Date,
    imports SimpleAggregateFunction(sum, UInt64),
    failed  SimpleAggregateFunction(sum, UInt64),
    records SimpleAggregateFunction(sum, Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_imports_daily_mv TO agg_imports_daily AS
SELECT app_id, toDate(ts) AS day,
       toUInt64(count()) AS imports,
       toUInt64(countIf(props['status'] = 'failed')) AS failed,
       sum(metrics['records']) AS records
FROM events
WHERE name = 'cm_data_import'
GROUP BY app_id, day;
