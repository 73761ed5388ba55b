-- Insert deduplication for the aggregate tables (docs/durability.md): with
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
