// PRIVACY.md 1-5 end to end with the write-ahead spool, whose files live under the data
// directory too: they must hold anonymised rows only.
import { definePrivacySuite } from './privacy-suite.ts'

definePrivacySuite({ WRITE_MODE: 'spool' })
