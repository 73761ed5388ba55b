// PRIVACY.md 1-5 end to end in direct mode (rows go straight to ClickHouse); the spool, the
// embedded default, has ingest-privacy-spool.test.ts.
import { definePrivacySuite } from './privacy-suite.ts'

definePrivacySuite({ WRITE_MODE: 'direct' })
