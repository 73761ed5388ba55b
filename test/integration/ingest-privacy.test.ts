// PRIVACY.md 1-5 end to end with the default write path (rows go straight to ClickHouse).
import { definePrivacySuite } from './privacy-suite.ts'

definePrivacySuite({})
