// normalise_path: page paths lose query string and fragment, id-like segments become :id
// (PRIVACY.md 5), so that /orders/48213?token=... and /orders/99 count as one page.
import { normalisePath } from '../../privacy/scrub.ts'
import type { HashedEvent } from '../types.ts'

export function createNormalisePathStep() {
  return function normalisePathStep(event: HashedEvent): HashedEvent {
    const { path, referrer_path } = event.props
    if (typeof path !== 'string' && typeof referrer_path !== 'string') return event
    const props = { ...event.props }
    if (typeof path === 'string') props.path = normalisePath(path)
    if (typeof referrer_path === 'string') props.referrer_path = normalisePath(referrer_path)
    return { ...event, props }
  }
}
