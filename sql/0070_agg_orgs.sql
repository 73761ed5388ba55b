-- Minimum organisations per cell (issue 26, docs/reports.md "Minimum organisations per cell"):
-- every aggregate a report decides k on also counts the organisations of its people, so that an
-- app with min_orgs_per_cell shows a cell only when people of that many organisations fill it
-- (src/query/cells.ts). orgs_upto counts distinct org hashes (per app and period, PRIVACY.md 4)
-- of events that have a person, exactly up to 32, in a state as small as users_upto. Each view
-- is recreated with the column, as 0030 does, and the rows already stored get their organisations
-- from the events table: rows with only orgs_upto set merge into the existing ones (empty user
-- states, zero sums), so no count changes. Tables without users (sessions, imports) are decided
-- through agg_events_daily and need nothing; feedback themes (0050) are counted like
-- every other sub-cell.

DROP VIEW IF EXISTS agg_events_daily_mv;
ALTER TABLE agg_events_daily ADD COLUMN IF NOT EXISTS orgs_upto AggregateFunction(uniqUpTo(32), String) AFTER users_upto;
CREATE MATERIALIZED VIEW agg_events_daily_mv TO agg_events_daily AS
SELECT app_id, toDate(ts) AS day, salt_period AS period, name,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       uniqUpToStateIf(32)(org_hash, org_hash != '' AND user_hash != '') AS orgs_upto,
       toUInt64(count()) AS events
FROM events
GROUP BY app_id, day, period, name;
INSERT INTO agg_events_daily (app_id, day, period, name, orgs_upto)
SELECT app_id, toDate(ts) AS day, salt_period AS period, name,
       uniqUpToStateIf(32)(org_hash, org_hash != '' AND user_hash != '') AS orgs_upto
FROM events
GROUP BY app_id, day, period, name;

DROP VIEW IF EXISTS agg_breakdowns_daily_mv;
ALTER TABLE agg_breakdowns_daily ADD COLUMN IF NOT EXISTS orgs_upto AggregateFunction(uniqUpTo(32), String) AFTER users_upto;
CREATE MATERIALIZED VIEW agg_breakdowns_daily_mv TO agg_breakdowns_daily AS
SELECT app_id, dim.1 AS dimension, toDate(ts) AS day, salt_period AS period, name, dim.2 AS value,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       uniqUpToStateIf(32)(org_hash, org_hash != '' AND user_hash != '') AS orgs_upto,
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
INSERT INTO agg_breakdowns_daily (app_id, dimension, day, period, name, value, orgs_upto)
SELECT app_id, dim.1 AS dimension, toDate(ts) AS day, salt_period AS period, name, dim.2 AS value,
       uniqUpToStateIf(32)(org_hash, org_hash != '' AND user_hash != '') AS orgs_upto
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
ALTER TABLE agg_pages_daily ADD COLUMN IF NOT EXISTS orgs_upto AggregateFunction(uniqUpTo(32), String) AFTER users_upto;
CREATE MATERIALIZED VIEW agg_pages_daily_mv TO agg_pages_daily AS
SELECT app_id, toDate(ts) AS day, salt_period AS period, props['path'] AS path,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       uniqUpToStateIf(32)(org_hash, org_hash != '' AND user_hash != '') AS orgs_upto,
       toUInt64(count()) AS views
FROM events
WHERE name = 'page_view'
GROUP BY app_id, day, period, path;
INSERT INTO agg_pages_daily (app_id, day, period, path, orgs_upto)
SELECT app_id, toDate(ts) AS day, salt_period AS period, props['path'] AS path,
       uniqUpToStateIf(32)(org_hash, org_hash != '' AND user_hash != '') AS orgs_upto
FROM events
WHERE name = 'page_view'
GROUP BY app_id, day, period, path;

DROP VIEW IF EXISTS agg_crashes_daily_mv;
ALTER TABLE agg_crashes_daily ADD COLUMN IF NOT EXISTS orgs_upto AggregateFunction(uniqUpTo(32), String) AFTER users_upto;
CREATE MATERIALIZED VIEW agg_crashes_daily_mv TO agg_crashes_daily AS
SELECT app_id, toDate(ts) AS day, salt_period AS period, props['fingerprint'] AS fingerprint, props['error_type'] AS error_type,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       uniqUpToStateIf(32)(org_hash, org_hash != '' AND user_hash != '') AS orgs_upto,
       toUInt64(count()) AS crashes,
       toUInt64(countIf(props['fatal'] = 'true')) AS fatal
FROM events
WHERE name = 'app_crash'
GROUP BY app_id, day, period, fingerprint, error_type;
INSERT INTO agg_crashes_daily (app_id, day, period, fingerprint, error_type, orgs_upto)
SELECT app_id, toDate(ts) AS day, salt_period AS period, props['fingerprint'] AS fingerprint, props['error_type'] AS error_type,
       uniqUpToStateIf(32)(org_hash, org_hash != '' AND user_hash != '') AS orgs_upto
FROM events
WHERE name = 'app_crash'
GROUP BY app_id, day, period, fingerprint, error_type;

DROP VIEW IF EXISTS agg_report_queries_daily_mv;
ALTER TABLE agg_report_queries_daily ADD COLUMN IF NOT EXISTS orgs_upto AggregateFunction(uniqUpTo(32), String) AFTER users_upto;
CREATE MATERIALIZED VIEW agg_report_queries_daily_mv TO agg_report_queries_daily AS
SELECT app_id, toDate(ts) AS day, salt_period AS period, props['report'] AS report,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       uniqUpToStateIf(32)(org_hash, org_hash != '' AND user_hash != '') AS orgs_upto,
       toUInt64(count()) AS queries,
       toUInt64(countIf(props['status'] != 'ok')) AS failed,
       sum(metrics['rows']) AS rows,
       sum(metrics['duration_ms']) AS duration_ms,
       quantilesState(0.5, 0.95)(metrics['duration_ms']) AS quantiles
FROM events
WHERE name = 'report_query'
GROUP BY app_id, day, period, report;
INSERT INTO agg_report_queries_daily (app_id, day, period, report, orgs_upto)
SELECT app_id, toDate(ts) AS day, salt_period AS period, props['report'] AS report,
       uniqUpToStateIf(32)(org_hash, org_hash != '' AND user_hash != '') AS orgs_upto
FROM events
WHERE name = 'report_query'
GROUP BY app_id, day, period, report;

DROP VIEW IF EXISTS agg_feedback_daily_mv;
ALTER TABLE agg_feedback_daily ADD COLUMN IF NOT EXISTS orgs_upto AggregateFunction(uniqUpTo(32), String) AFTER users_upto;
CREATE MATERIALIZED VIEW agg_feedback_daily_mv TO agg_feedback_daily AS
SELECT app_id, toDate(ts) AS day, salt_period AS period,
       toUInt8(least(greatest(round(metrics['rating']), 0), 5)) AS rating,
       uniqCombinedStateIf(12)(user_hash, user_hash != '') AS users,
       uniqUpToStateIf(32)(user_hash, user_hash != '') AS users_upto,
       uniqUpToStateIf(32)(org_hash, org_hash != '' AND user_hash != '') AS orgs_upto,
       toUInt64(count()) AS count
FROM events
WHERE name = 'feedback'
GROUP BY app_id, day, period, rating;
INSERT INTO agg_feedback_daily (app_id, day, period, rating, orgs_upto)
SELECT app_id, toDate(ts) AS day, salt_period AS period,
       toUInt8(least(greatest(round(metrics['rating']), 0), 5)) AS rating,
       uniqUpToStateIf(32)(org_hash, org_hash != '' AND user_hash != '') AS orgs_upto
FROM events
WHERE name = 'feedback'
GROUP BY app_id, day, period, rating;

DROP VIEW IF EXISTS agg_feedback_words_daily_mv;
ALTER TABLE agg_feedback_words_daily ADD COLUMN IF NOT EXISTS orgs_upto AggregateFunction(uniqUpTo(32), String) AFTER users_upto;
CREATE MATERIALIZED VIEW agg_feedback_words_daily_mv TO agg_feedback_words_daily AS
SELECT app_id, toDate(ts) AS day, salt_period AS period, term,
       uniqCombinedState(12)(user_hash) AS users,
       uniqUpToState(32)(user_hash) AS users_upto,
       uniqUpToStateIf(32)(org_hash, org_hash != '') AS orgs_upto,
       toUInt64(count()) AS count
FROM events
ARRAY JOIN splitByChar('|', props['text']) AS term
WHERE name = 'feedback' AND props['text'] != '' AND user_hash != ''
GROUP BY app_id, day, period, term;
INSERT INTO agg_feedback_words_daily (app_id, day, period, term, orgs_upto)
SELECT app_id, toDate(ts) AS day, salt_period AS period, term,
       uniqUpToStateIf(32)(org_hash, org_hash != '') AS orgs_upto
FROM events
ARRAY JOIN splitByChar('|', props['text']) AS term
WHERE name = 'feedback' AND props['text'] != '' AND user_hash != ''
GROUP BY app_id, day, period, term;
