-- Daily feedback per rating (issue 4); rating 0 means "no rating given". The free texts are
-- not aggregated: the feedback report reads them from the events table, within retention.
CREATE TABLE IF NOT EXISTS agg_feedback_daily
(
    app_id LowCardinality(String),
    day    Date,
    rating UInt8,
    users  AggregateFunction(uniqCombined(12), String),
    count  SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, rating)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_feedback_daily_mv TO agg_feedback_daily AS
SELECT app_id, toDate(ts) AS day,
       toUInt8(least(greatest(round(metrics['rating']), 0), 5)) AS rating,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       toUInt64(count()) AS count
FROM events
WHERE name = 'feedback'
GROUP BY app_id, day, rating;
