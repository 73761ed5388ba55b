-- Daily page views and viewers per normalised path (issue 4); paths were normalised at
-- ingestion (ids became :id, PRIVACY.md 5), so this table stays small.
CREATE TABLE IF NOT EXISTS agg_pages_daily
(
    app_id LowCardinality(String),
    day    Date,
    path   String,
    users  AggregateFunction(uniqCombined(12), String),
    views  SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, path)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_pages_daily_mv TO agg_pages_daily AS
SELECT app_id, toDate(ts) AS day, props['path'] AS path,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       toUInt64(count()) AS views
FROM events
WHERE name = 'page_view'
GROUP BY app_id, day, path;
