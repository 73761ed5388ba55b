-- Daily session lengths (issue 4): app_stop carries uptime_ms, the time since its app_start,
-- so one event holds the whole session. Quantile states merge across days and weeks.
CREATE TABLE IF NOT EXISTS agg_sessions_daily
(
    app_id    LowCardinality(String),
    day       Date,
    sessions  SimpleAggregateFunction(sum, UInt64),
    uptime_ms SimpleAggregateFunction(sum, Float64),
    quantiles AggregateFunction(quantiles(0.5, 0.95), Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_sessions_daily_mv TO agg_sessions_daily AS
SELECT app_id, toDate(ts) AS day,
       toUInt64(count()) AS sessions,
       sum(metrics['uptime_ms']) AS uptime_ms,
       quantilesState(0.5, 0.95)(metrics['uptime_ms']) AS quantiles
FROM events
WHERE name = 'app_stop'
GROUP BY app_id, day;
