-- Cluster variant of ../0009_events_user_kind.sql: the column on every shard's local table and on
-- the Distributed table in front of them.
ALTER TABLE events_local ON CLUSTER '{{CLUSTER}}' ADD COLUMN IF NOT EXISTS user_kind LowCardinality(String) DEFAULT if(user_hash = '', '', 'user');

ALTER TABLE events ON CLUSTER '{{CLUSTER}}' ADD COLUMN IF NOT EXISTS user_kind LowCardinality(String) DEFAULT if(user_hash = '', '', 'user');
