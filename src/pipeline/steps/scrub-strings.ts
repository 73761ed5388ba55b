// scrub_strings: every string prop, the feedback text among them, loses e-mail addresses,
// phone numbers, IPs, IBANs, card numbers, long digit runs and URL query strings (PRIVACY.md 5).
import { scrubText } from '../../privacy/scrub.ts'
import type { HashedEvent } from '../types.ts'

/** Props that are paths: normalise_path handles them instead. */
const PATH_PROPS = new Set(['path', 'referrer_path'])

export function createScrubStringsStep() {
  return function scrubStrings(event: HashedEvent): HashedEvent {
    let props = event.props
    for (const key in event.props) {
      const v = event.props[key]
      if (typeof v !== 'string' || PATH_PROPS.has(key)) continue
      const clean = scrubText(v)
      if (clean !== v) {
        if (props === event.props) props = { ...event.props }
        props[key] = clean
      }
    }
    return props === event.props ? event : { ...event, props }
  }
}
