-- Names a strict plan refused (issue 27, docs/reports.md "Rejections"): the event names it
-- rejected and the prop keys it dropped, with the salted person of the period, kept 30 days like
-- the quarantine. A name is stored as the values rule stores an open-ended value (PRIVACY.md 17):
-- as its token until k people of a period sent it (counted below into value_people, published by
-- the values publisher), as itself once published. GET /v1/stats/rejections reads it.
CREATE TABLE IF NOT EXISTS unplanned_names
(
    app_id      LowCardinality(String),
    received_at DateTime64(3, 'UTC'),
    period      UInt32,
    kind        LowCardinality(String),
    reason      LowCardinality(String),
    name        String,
    key         String,
    user_hash   String
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(received_at)
ORDER BY (app_id, received_at)
TTL toDateTime(received_at) + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS value_people_unplanned_mv TO value_people AS
SELECT app_id, period, token, uniqExactState(user_hash) AS people, max(toDateTime(received_at)) AS seen_at
FROM unplanned_names
ARRAY JOIN arrayDistinct(arrayConcat(extractAll(name, '~[0-9a-f]{16}'), extractAll(key, '~[0-9a-f]{16}'))) AS token
WHERE user_hash != ''
GROUP BY app_id, period, token;
