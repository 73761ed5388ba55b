// scrub_strings: free text (props the plan declares `text`: feedback, crash messages) loses
// e-mail addresses, phone numbers, IPs, IBANs, cards, tax ids, secrets, URLs and digit runs
// (PRIVACY.md 5). Other strings were held to strict shapes by apply_plan and are not scanned.
import { scrubText } from '../../privacy/scrub.ts'
import { withProps, type HashedEvent } from '../types.ts'

export function createScrubStringsStep() {
  return function scrubStrings(event: HashedEvent): HashedEvent {
    if (!event.text || event.text.length === 0) return event
    const props = { ...event.props }
    for (const key of event.text) {
      const v = props[key]
      if (typeof v === 'string') props[key] = scrubText(v)
    }
    return withProps(event, props)
  }
}
