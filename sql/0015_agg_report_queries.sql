-- Daily report-statistics queries per report (issue 4): how often (count, users), how long
-- (quantile states of duration_ms, p50 and p95), and how often they fail (status != 'ok').
CREATE TABLE IF NOT EXISTS agg_report_queries_daily
(
    app_id      LowCardinality(String),
    day         Date,
    report      String,
    users       AggregateFunction(uniqCombined(12), String),
    queries     SimpleAggregateFunction(sum, UInt64),
    failed      SimpleAggregateFunction(sum, UInt64),
    rows        SimpleAggregateFunction(sum, Float64),
    duration_ms SimpleAggregateFunction(sum, Float64),
    quantiles   AggregateFunction(quantiles(0.5, 0.95), Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, report)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_report_queries_daily_mv TO agg_report_queries_daily AS
SELECT app_id, toDate(ts) AS day, props['report'] AS report,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       toUInt64(count()) AS queries,
       toUInt64(countIf(props['status'] != 'ok')) AS failed,
       sum(metrics['rows']) AS rows,
       sum(metrics['duration_ms']) AS duration_ms,
       quantilesState(0.5, 0.95)(metrics['duration_ms']) AS quantiles
FROM events
WHERE name = 'report_query'
GROUP BY app_id, day, report;
