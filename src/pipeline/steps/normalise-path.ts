// normalise_path: props the plan declares `path` lose origin, query string, fragment and matrix
// parameters, and id-like segments become :id (PRIVACY.md 5, 13). A page_view's `route` (the
// router's template, `/orders/:id`) is preferred to its path when it is a valid template.
import { normalisePath, routeTemplate } from '../../privacy/scrub.ts'
import { withProps, type HashedEvent } from '../types.ts'

export function createNormalisePathStep() {
  return function normalisePathStep(event: HashedEvent): HashedEvent {
    if (!event.paths || event.paths.length === 0) return event
    const props = { ...event.props }
    const route = typeof props.route === 'string' && event.paths.includes('route') ? routeTemplate(props.route) : undefined
    // The template informs the path; it is not stored as a prop of its own.
    delete props.route
    for (const key of event.paths) {
      const v = props[key]
      if (typeof v !== 'string') continue
      props[key] = key === 'path' && route ? route : normalisePath(v)
    }
    return withProps(event, props)
  }
}
