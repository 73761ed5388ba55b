-- The event ids stored in the last hours, by id (docs/durability.md, "several nodes"): filled
-- by a view from events in the same insert, read before an insert to drop events another node
-- (or this one, beyond its retry memory) has stored already. Ordered by id, so a lookup of a
-- group's ids reads a few granules; whole hourly parts expire. Only rows received in the last two
-- hours (or up to an hour ahead: a node whose clock is fast) enter; a backfill of old events
-- would otherwise touch hundreds of hourly partitions in one insert.
CREATE TABLE IF NOT EXISTS recent_event_ids
(
    event_id    UUID,
    received_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
PARTITION BY toStartOfHour(received_at)
ORDER BY event_id
TTL toDateTime(received_at) + INTERVAL 2 HOUR
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS recent_event_ids_mv TO recent_event_ids AS
SELECT event_id, received_at FROM events
WHERE received_at BETWEEN now64(3) - INTERVAL 2 HOUR AND now64(3) + INTERVAL 1 HOUR;
