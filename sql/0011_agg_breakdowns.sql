-- Daily users and events per event name for each breakdown dimension (issue 4): one row per
-- (dimension, value), so a new dimension is a new array element, not a new table. The
-- dimension names here are the closed set the query API accepts (src/query/params.ts).
CREATE TABLE IF NOT EXISTS agg_breakdowns_daily
(
    app_id    LowCardinality(String),
    dimension LowCardinality(String),
    day       Date,
    name      LowCardinality(String),
    value     LowCardinality(String),
    users     AggregateFunction(uniqCombined(12), String),
    events    SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, dimension, day, name, value)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_breakdowns_daily_mv TO agg_breakdowns_daily AS
SELECT app_id, dim.1 AS dimension, toDate(ts) AS day, name, dim.2 AS value,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       toUInt64(count()) AS events
FROM events
ARRAY JOIN [
    ('country', toString(country)),
    ('os', toString(os)),
    ('browser', toString(browser)),
    ('device_type', toString(device_type)),
    ('lang', toString(lang)),
    ('screen', if(screen_w = 0, '', concat(toString(screen_w), 'x', toString(screen_h)))),
    ('app_version', toString(app_version))
] AS dim
GROUP BY app_id, dimension, day, name, value;
