-- Salts and keys out of reach of the role that reports, migrates and runs `veil sql` (PRIVACY.md
-- 19, issue 26). The embedded engine keeps salts in the server's memory only; a ClickHouse server
-- keeps them wrapped with SALT_WRAP_KEY in a database of their own that only the ingestion role
-- reads (src/privacy/salt-vault.ts, docs/operations.md "Salts and keys"). The org key is derived
-- per app and period from the salt. So the old tables go, with SYNC so that their files go at
-- once: salts read by anyone who could query this database, and the installation's stable org
-- key. Hashes stored before stay as they are; new events hash under new salts and periods.
DROP TABLE IF EXISTS salts SYNC;
DROP TABLE IF EXISTS secrets SYNC;
