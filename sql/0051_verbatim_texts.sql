-- Verbatim texts (PRIVACY.md 7, 17): the scrubbed text of a `text` prop an app's plan declares
-- `verbatim`, for at most 30 days. Outside the anonymous data set: it may describe a person in
-- words no detector knows, so it is kept apart from the events, expires on its own, and is
-- deleted by search term on a data subject's request (`veil verbatim delete --search <term>`).
CREATE TABLE IF NOT EXISTS verbatim_texts
(
    app_id      LowCardinality(String),
    received_at DateTime64(3, 'UTC'),
    name        LowCardinality(String),
    key         LowCardinality(String),
    text        String
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(received_at)
ORDER BY (app_id, received_at)
TTL toDateTime(received_at) + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1;
