-- Durable inserts (docs/durability.md). Deduplication for the aggregate tables: with
-- deduplicate_blocks_in_dependent_materialized_views = 1 on every insert, a block re-sent with the
-- same insert_deduplication_token (a spool replay, a retry of an insert whose outcome was unknown)
-- is dropped by each aggregate as it is by events, and one whose first attempt reached events but
-- not the views (a crash between the two) fills the views now. The window matches events' (0001).
ALTER TABLE agg_events_daily MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE agg_breakdowns_daily MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE agg_pages_daily MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE agg_crashes_daily MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE agg_sessions_daily MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE agg_report_queries_daily MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE agg_imports_daily MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE agg_feedback_daily MODIFY SETTING non_replicated_deduplication_window = 10000;

-- A committed insert is on disk before it is acknowledged (direct mode's 202) and before the
-- spool deletes the segment holding its rows: the engine fsyncs each new part of events and its
-- directory (by default it leaves that to the page cache, and a power loss could lose what was
-- committed). The aggregates are not fsynced: after an unclean stop in direct mode they are
-- recomputed from events for the days it touched (src/storage/schema/repair-aggregates.ts).
ALTER TABLE events MODIFY SETTING fsync_after_insert = 1, fsync_part_directory = 1;
