-- Rotating per-app salts (PRIVACY.md 4): random bytes, one per app and period, shared by every
-- ingestion node through this table. A salt expires 48 hours after its period ends (retired_at);
-- the TTL makes the database delete it, the salt service also deletes it eagerly.
-- On a cluster both tables are small and read by every node, so each node holds all of them:
-- cluster: salts everywhere
-- cluster: secrets everywhere
CREATE TABLE IF NOT EXISTS salts
(
    app_id     LowCardinality(String),
    period     UInt32,
    salt       String,
    created_at DateTime64(3, 'UTC'),
    retired_at DateTime('UTC')
)
ENGINE = MergeTree
ORDER BY (app_id, period, salt)
TTL retired_at + INTERVAL 48 HOUR;

-- A stable per-installation key for org_id hashing (documented as pseudonymous, PRIVACY.md 4).
CREATE TABLE IF NOT EXISTS secrets
(
    name       LowCardinality(String),
    value      String,
    created_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (name, value);
