// The server scrubs with the same rules as the on-prem SDK, so text scrubbed in a plant and
// text scrubbed on receipt follow one definition (sdk/core/scrub.ts).
export { normalisePath, routeTemplate, scrubHead, scrubText } from '../../sdk/core/scrub.ts'
