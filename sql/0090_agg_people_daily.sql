-- Events per person and day (issue 27, docs/reports.md "Query times"): the release query clamps
-- each person's events per atom (src/query/atoms.ts, release.ts EVENTS_PER_PERSON), so explore's
-- atoms are counted per (period, day, cell, person). This table holds those counts for the
-- closed-list dimensions, one row per person, day, event name and combination of dimensions, so
-- explore by or filtered on a dimension reads person-day rows, not events. person is the 64-bit
-- digest of the user hash atoms.ts groups by (cityHash64), comparable within one salt period
-- only, as the hash itself (PRIVACY.md 4). Events without a user hash count no people and are
-- left out, as the release query leaves them out. Props are not here: a prop field reads events.
-- A block re-sent with its deduplication token is dropped here as by events (sql/0032).
CREATE TABLE IF NOT EXISTS agg_people_daily
(
    app_id      LowCardinality(String),
    name        LowCardinality(String),
    day         Date,
    period      UInt32,
    person      UInt64,
    org_hash    String,
    country     LowCardinality(String),
    browser     LowCardinality(String),
    os          LowCardinality(String),
    device_type LowCardinality(String),
    lang        LowCardinality(String),
    app_version LowCardinality(String),
    deployment  LowCardinality(String),
    events      SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, name, day, period, person, org_hash, country, browser, os, device_type, lang, app_version, deployment)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

-- One row per event, summed by the table's merges: within one insert block nearly every event
-- is another person, day or name, so grouping the block cost 2.6 s of CPU per million events
-- against 0.8 s without (the other views: 0.05-0.2 s, breakdowns 2.1 s; docs/reports.md).
CREATE MATERIALIZED VIEW IF NOT EXISTS agg_people_daily_mv TO agg_people_daily AS
SELECT app_id, name, toDate(ts) AS day, salt_period AS period, cityHash64(user_hash) AS person, org_hash,
       country, browser, os, device_type, lang, app_version, deployment, toUInt64(1) AS events
FROM events
WHERE user_hash != '';

INSERT INTO agg_people_daily
SELECT app_id, name, toDate(ts) AS day, salt_period AS period, cityHash64(user_hash) AS person, org_hash,
       country, browser, os, device_type, lang, app_version, deployment, toUInt64(count()) AS events
FROM events
WHERE user_hash != ''
GROUP BY app_id, name, day, period, person, org_hash, country, browser, os, device_type, lang, app_version, deployment;
