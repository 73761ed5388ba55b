-- A deleted salt must be gone from disk, not only from SELECT (PRIVACY.md 15, issue 10). A
-- DELETE rewrites the salts' parts and leaves the old ones inactive on disk until
-- old_parts_lifetime has passed (8 minutes by default) and the cleanup task has run (every
-- 30-40 s by default). The salts table is tiny: its inactive parts go within seconds, and the
-- salt service reports a purge only once system.parts lists none (src/privacy/salts.ts).
ALTER TABLE salts MODIFY SETTING old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0;
