-- Who the user of record of an event is (issue 11), so that reports can say "visitors" where it
-- matters: 'user' (user_hash is the app's own user_id), 'visitor' (no login: the hash of the
-- browser SDK's tab session), 'installation' (no login: the hash of the on-prem SDK's
-- installation id), '' (no id at all). Rows stored before this column read as 'user' when they
-- have a user hash, which is what they were.
ALTER TABLE events ADD COLUMN IF NOT EXISTS user_kind LowCardinality(String) DEFAULT if(user_hash = '', '', 'user');
