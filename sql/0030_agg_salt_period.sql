-- k-anonymity per salt period (PRIVACY.md 14, issue 10): every aggregate row carries the salt
-- period of its events, so a report decides k on the distinct hashes of one period (one person
-- is one hash within a period, but a new hash in every other period) and builds ranges from
-- (period, day) cells. The tables are rebuilt with `period` in their key and refilled from the
-- events table, which holds every event within retention (the views fill them from then on).
-- users_upto counts distinct hashes exactly up to 32 in a small state, cheap to merge and read:
-- reports decide k with it per cell (src/query/cells.ts), and show users from the
-- uniqCombined states only for cells already decided.

DROP VIEW IF EXISTS agg_events_daily_mv;
DROP TABLE IF EXISTS agg_events_daily;
CREATE TABLE agg_events_daily
(
    app_id LowCardinality(String),
    day    Date,
    period UInt32,
    name   LowCardinality(String),
    users  AggregateFunction(uniqCombined(12), String),
    users_upto AggregateFunction(uniqUpTo(32), String),
    events SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, period, name)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;
CREATE MATERIALIZED VIEW agg_events_daily_mv TO agg_events_daily AS
SELECT app_id, toDate(ts) AS day, salt_period AS period, name,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       toUInt64(count()) AS events
FROM events
GROUP BY app_id, day, period, name;
INSERT INTO agg_events_daily
SELECT app_id, toDate(ts) AS day, salt_period AS period, name,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       toUInt64(count()) AS events
FROM events
GROUP BY app_id, day, period, name;

DROP VIEW IF EXISTS agg_breakdowns_daily_mv;
DROP TABLE IF EXISTS agg_breakdowns_daily;
CREATE TABLE agg_breakdowns_daily
(
    app_id    LowCardinality(String),
    dimension LowCardinality(String),
    day       Date,
    period    UInt32,
    name      LowCardinality(String),
    value     LowCardinality(String),
    users     AggregateFunction(uniqCombined(12), String),
    users_upto AggregateFunction(uniqUpTo(32), String),
    events    SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, dimension, day, period, name, value)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;
CREATE MATERIALIZED VIEW agg_breakdowns_daily_mv TO agg_breakdowns_daily AS
SELECT app_id, dim.1 AS dimension, toDate(ts) AS day, salt_period AS period, name, dim.2 AS value,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
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
GROUP BY app_id, dimension, day, period, name, value;
INSERT INTO agg_breakdowns_daily
SELECT app_id, dim.1 AS dimension, toDate(ts) AS day, salt_period AS period, name, dim.2 AS value,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
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
GROUP BY app_id, dimension, day, period, name, value;

DROP VIEW IF EXISTS agg_pages_daily_mv;
DROP TABLE IF EXISTS agg_pages_daily;
CREATE TABLE agg_pages_daily
(
    app_id LowCardinality(String),
    day    Date,
    period UInt32,
    path   String,
    users  AggregateFunction(uniqCombined(12), String),
    users_upto AggregateFunction(uniqUpTo(32), String),
    views  SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, period, path)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;
CREATE MATERIALIZED VIEW agg_pages_daily_mv TO agg_pages_daily AS
SELECT app_id, toDate(ts) AS day, salt_period AS period, props['path'] AS path,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       toUInt64(count()) AS views
FROM events
WHERE name = 'page_view'
GROUP BY app_id, day, period, path;
INSERT INTO agg_pages_daily
SELECT app_id, toDate(ts) AS day, salt_period AS period, props['path'] AS path,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       toUInt64(count()) AS views
FROM events
WHERE name = 'page_view'
GROUP BY app_id, day, period, path;

DROP VIEW IF EXISTS agg_crashes_daily_mv;
DROP TABLE IF EXISTS agg_crashes_daily;
CREATE TABLE agg_crashes_daily
(
    app_id      LowCardinality(String),
    day         Date,
    period      UInt32,
    fingerprint String,
    error_type  LowCardinality(String),
    users       AggregateFunction(uniqCombined(12), String),
    users_upto AggregateFunction(uniqUpTo(32), String),
    crashes     SimpleAggregateFunction(sum, UInt64),
    fatal       SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, period, fingerprint, error_type)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;
CREATE MATERIALIZED VIEW agg_crashes_daily_mv TO agg_crashes_daily AS
SELECT app_id, toDate(ts) AS day, salt_period AS period, props['fingerprint'] AS fingerprint, props['error_type'] AS error_type,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       toUInt64(count()) AS crashes,
       toUInt64(countIf(props['fatal'] = 'true')) AS fatal
FROM events
WHERE name = 'app_crash'
GROUP BY app_id, day, period, fingerprint, error_type;
INSERT INTO agg_crashes_daily
SELECT app_id, toDate(ts) AS day, salt_period AS period, props['fingerprint'] AS fingerprint, props['error_type'] AS error_type,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       toUInt64(count()) AS crashes,
       toUInt64(countIf(props['fatal'] = 'true')) AS fatal
FROM events
WHERE name = 'app_crash'
GROUP BY app_id, day, period, fingerprint, error_type;

DROP VIEW IF EXISTS agg_sessions_daily_mv;
DROP TABLE IF EXISTS agg_sessions_daily;
CREATE TABLE agg_sessions_daily
(
    app_id    LowCardinality(String),
    day       Date,
    period    UInt32,
    sessions  SimpleAggregateFunction(sum, UInt64),
    uptime_ms SimpleAggregateFunction(sum, Float64),
    quantiles AggregateFunction(quantiles(0.5, 0.95), Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, period)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;
CREATE MATERIALIZED VIEW agg_sessions_daily_mv TO agg_sessions_daily AS
SELECT app_id, toDate(ts) AS day, salt_period AS period,
       toUInt64(count()) AS sessions,
       sum(metrics['uptime_ms']) AS uptime_ms,
       quantilesState(0.5, 0.95)(metrics['uptime_ms']) AS quantiles
FROM events
WHERE name = 'app_stop'
GROUP BY app_id, day, period;
INSERT INTO agg_sessions_daily
SELECT app_id, toDate(ts) AS day, salt_period AS period,
       toUInt64(count()) AS sessions,
       sum(metrics['uptime_ms']) AS uptime_ms,
       quantilesState(0.5, 0.95)(metrics['uptime_ms']) AS quantiles
FROM events
WHERE name = 'app_stop'
GROUP BY app_id, day, period;

DROP VIEW IF EXISTS agg_report_queries_daily_mv;
DROP TABLE IF EXISTS agg_report_queries_daily;
CREATE TABLE agg_report_queries_daily
(
    app_id      LowCardinality(String),
    day         Date,
    period      UInt32,
    report      String,
    users       AggregateFunction(uniqCombined(12), String),
    users_upto AggregateFunction(uniqUpTo(32), String),
    queries     SimpleAggregateFunction(sum, UInt64),
    failed      SimpleAggregateFunction(sum, UInt64),
    rows        SimpleAggregateFunction(sum, Float64),
    duration_ms SimpleAggregateFunction(sum, Float64),
    quantiles   AggregateFunction(quantiles(0.5, 0.95), Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, period, report)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;
CREATE MATERIALIZED VIEW agg_report_queries_daily_mv TO agg_report_queries_daily AS
SELECT app_id, toDate(ts) AS day, salt_period AS period, props['report'] AS report,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       toUInt64(count()) AS queries,
       toUInt64(countIf(props['status'] != 'ok')) AS failed,
       sum(metrics['rows']) AS rows,
       sum(metrics['duration_ms']) AS duration_ms,
       quantilesState(0.5, 0.95)(metrics['duration_ms']) AS quantiles
FROM events
WHERE name = 'report_query'
GROUP BY app_id, day, period, report;
INSERT INTO agg_report_queries_daily
SELECT app_id, toDate(ts) AS day, salt_period AS period, props['report'] AS report,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       toUInt64(count()) AS queries,
       toUInt64(countIf(props['status'] != 'ok')) AS failed,
       sum(metrics['rows']) AS rows,
       sum(metrics['duration_ms']) AS duration_ms,
       quantilesState(0.5, 0.95)(metrics['duration_ms']) AS quantiles
FROM events
WHERE name = 'report_query'
GROUP BY app_id, day, period, report;

DROP VIEW IF EXISTS agg_imports_daily_mv;
DROP TABLE IF EXISTS agg_imports_daily;
CREATE TABLE agg_imports_daily
(
    app_id  LowCardinality(String),
    day     Date,
    period  UInt32,
    imports SimpleAggregateFunction(sum, UInt64),
    failed  SimpleAggregateFunction(sum, UInt64),
    records SimpleAggregateFunction(sum, Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, period)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;
CREATE MATERIALIZED VIEW agg_imports_daily_mv TO agg_imports_daily AS
SELECT app_id, toDate(ts) AS day, salt_period AS period,
       toUInt64(count()) AS imports,
       toUInt64(countIf(props['status'] = 'failed')) AS failed,
       sum(metrics['records']) AS records
FROM events
WHERE name = 'cm_data_import'
GROUP BY app_id, day, period;
INSERT INTO agg_imports_daily
SELECT app_id, toDate(ts) AS day, salt_period AS period,
       toUInt64(count()) AS imports,
       toUInt64(countIf(props['status'] = 'failed')) AS failed,
       sum(metrics['records']) AS records
FROM events
WHERE name = 'cm_data_import'
GROUP BY app_id, day, period;

DROP VIEW IF EXISTS agg_feedback_daily_mv;
DROP TABLE IF EXISTS agg_feedback_daily;
CREATE TABLE agg_feedback_daily
(
    app_id LowCardinality(String),
    day    Date,
    period UInt32,
    rating UInt8,
    users  AggregateFunction(uniqCombined(12), String),
    users_upto AggregateFunction(uniqUpTo(32), String),
    count  SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, period, rating)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1;
CREATE MATERIALIZED VIEW agg_feedback_daily_mv TO agg_feedback_daily AS
SELECT app_id, toDate(ts) AS day, salt_period AS period,
       toUInt8(least(greatest(round(metrics['rating']), 0), 5)) AS rating,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       toUInt64(count()) AS count
FROM events
WHERE name = 'feedback'
GROUP BY app_id, day, period, rating;
INSERT INTO agg_feedback_daily
SELECT app_id, toDate(ts) AS day, salt_period AS period,
       toUInt8(least(greatest(round(metrics['rating']), 0), 5)) AS rating,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       toUInt64(count()) AS count
FROM events
WHERE name = 'feedback'
GROUP BY app_id, day, period, rating;
