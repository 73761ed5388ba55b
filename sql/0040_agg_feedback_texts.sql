-- Feedback texts per (salt period, day, rating), so the feedback report reads a small aggregate
-- instead of every text of its range in the events table (docs/reports.md "Feedback texts"):
-- its authors (distinct user hashes of that one period, who wrote a text) decide k for the
-- group as before, and `texts` keeps only the group's most recent texts (ordered by time, then
-- text: a state of at most 20 entries that merges into the most recent 20 of any set of groups;
-- 20 is TEXTS_PER_RATING in src/query/reports/feedback.ts). Same TTL and dedup window as the
-- other aggregates (0030, 0032); repaired after a crash like them (src/storage/schema/repair-aggregates.ts).

DROP VIEW IF EXISTS agg_feedback_texts_daily_mv;
DROP TABLE IF EXISTS agg_feedback_texts_daily;
CREATE TABLE agg_feedback_texts_daily
(
    app_id LowCardinality(String),
    day    Date,
    period UInt32,
    rating UInt8,
    users  AggregateFunction(uniqCombined(12), String),
    users_upto AggregateFunction(uniqUpTo(32), String),
    texts  AggregateFunction(groupArraySorted(20), Tuple(Int64, String))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, period, rating)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;
CREATE MATERIALIZED VIEW agg_feedback_texts_daily_mv TO agg_feedback_texts_daily AS
SELECT app_id, toDate(ts) AS day, salt_period AS period,
       toUInt8(least(greatest(round(metrics['rating']), 0), 5)) AS rating,
       uniqCombinedState(12)(user_hash) AS users,
       uniqUpToState(32)(user_hash) AS users_upto,
       groupArraySortedState(20)((-toUnixTimestamp64Milli(ts), props['text'])) AS texts
FROM events
WHERE name = 'feedback' AND props['text'] != '' AND user_hash != ''
GROUP BY app_id, day, period, rating;
INSERT INTO agg_feedback_texts_daily
SELECT app_id, toDate(ts) AS day, salt_period AS period,
       toUInt8(least(greatest(round(metrics['rating']), 0), 5)) AS rating,
       uniqCombinedState(12)(user_hash) AS users,
       uniqUpToState(32)(user_hash) AS users_upto,
       groupArraySortedState(20)((-toUnixTimestamp64Milli(ts), props['text'])) AS texts
FROM events
WHERE name = 'feedback' AND props['text'] != '' AND user_hash != ''
GROUP BY app_id, day, period, rating;
