-- Values known to k people (PRIVACY.md 17, issue 25). An open-ended value that fewer than k
-- people of a salt period sent is stored as a token (`~` and 16 hex digits of an HMAC under the
-- period's values key, src/privacy/values/). These tables count the people behind each token,
-- keep its plaintext sealed until they reach k, and the values then published.

-- The sealed copy of a token: the plaintext under AES-256-GCM with the period's values key, which
-- is derived from the period's salt and deleted with it (48 hours after the period). Rows expire
-- then too; a copy left on disk past that is ciphertext under a key that no longer exists.
CREATE TABLE IF NOT EXISTS sealed_values
(
    app_id     LowCardinality(String),
    period     UInt32,
    field      String,
    token      String,
    sealed     String,
    expires_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (app_id, period, token)
TTL expires_at
SETTINGS old_parts_lifetime = 60;

-- Distinct people (user hashes of the period) per token. The field is part of the token's
-- digest, so a token stands for one value in one field; a path segment is one token in every
-- path. uniqExact: a token is counted only until it is published (nodes then store the value),
-- so its set stays small, and the k decision must be exact for any k an app sets (up to 1000).
CREATE TABLE IF NOT EXISTS value_people
(
    app_id LowCardinality(String),
    period UInt32,
    token  String,
    people AggregateFunction(uniqExact, String),
    seen_at SimpleAggregateFunction(max, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (app_id, period, token)
-- The longest salt period (7 days) and its grace: after that no key can publish the token.
TTL seen_at + INTERVAL 9 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS value_people_mv TO value_people AS
SELECT app_id, salt_period AS period, token, uniqExactState(user_hash) AS people, max(toDateTime(received_at)) AS seen_at
FROM events
ARRAY JOIN arrayDistinct(arrayConcat(
    extractAll(toString(name), '~[0-9a-f]{16}'),
    arrayFlatten(arrayMap(k -> extractAll(toString(k), '~[0-9a-f]{16}'), mapKeys(props))),
    arrayFlatten(arrayMap(v -> extractAll(v, '~[0-9a-f]{16}'), mapValues(props))))) AS token
WHERE user_hash != ''
GROUP BY app_id, period, token;

-- Values k people of a period sent, with the tokens they had in that period: ingestion nodes
-- store them as they are from then on, reports map the period's tokens to them. Kept for the
-- retention, as the events that hold their tokens.
CREATE TABLE IF NOT EXISTS published_values
(
    app_id       LowCardinality(String),
    period       UInt32,
    token        String,
    field        String,
    value        String,
    published_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (app_id, period, token)
TTL toDateTime(published_at) + INTERVAL {{RETENTION_MONTHS}} MONTH;

-- Feedback themes (docs/reports.md "Feedback"): the words and short phrases of feedback texts
-- (src/privacy/values/words.ts; the row's text holds them joined by `|`), each a published word or a token, with their authors per
-- (period, day), decided like every other sub-cell (src/query/cells.ts).
CREATE TABLE IF NOT EXISTS agg_feedback_words_daily
(
    app_id LowCardinality(String),
    day    Date,
    period UInt32,
    term   String,
    users  AggregateFunction(uniqCombined(12), String),
    users_upto AggregateFunction(uniqUpTo(32), String),
    count  SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, period, term)
TTL day + INTERVAL {{RETENTION_MONTHS}} MONTH
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS agg_feedback_words_daily_mv TO agg_feedback_words_daily AS
SELECT app_id, toDate(ts) AS day, salt_period AS period, term,
       uniqCombinedState(12)(user_hash) AS users,
       uniqUpToState(32)(user_hash) AS users_upto,
       toUInt64(count()) AS count
FROM events
ARRAY JOIN splitByChar('|', props['text']) AS term
WHERE name = 'feedback' AND props['text'] != '' AND user_hash != ''
GROUP BY app_id, day, period, term;

-- Recent feedback texts (sql/0040) are no longer kept: a text is stored as its terms, and the
-- report shows themes instead. The aggregate and whatever verbatim texts it held go.
DROP VIEW IF EXISTS agg_feedback_texts_daily_mv;
DROP TABLE IF EXISTS agg_feedback_texts_daily SYNC;
