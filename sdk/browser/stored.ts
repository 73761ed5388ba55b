// What the browser SDK persists (PRIVACY.md 16): nothing the server would not keep. Ids stay
// raw in the page's memory only and go to the server, which hashes them under its salt; a stored
// event has none (sent after a reload, it counts for its tab session). Free text (`text` and
// `message`, the catalog's text props, and the app's `textProps`) is never persisted either.

/** Id-like path segments: digits (numbers, UUIDs), e-mail or user marks; and what follows a person collection. */
const ID = /\d|[@~+:;=%]/
const PERSON = /^(u|users?|profiles?|people|persons?|members?|customers?|accounts?|authors?|contacts?|search|tags?|email|mail)$/i

/** A page path as it may be queued: no query or fragment, id-like segments as `:id` (the server generalises further). */
export function pagePath(path: string): string {
  const s = (path.split(/[?#]/)[0] || '/').split('/')
  return s.map((x, i) => (x && (ID.test(x) || PERSON.test(s[i - 1]!)) ? ':id' : x)).join('/')
}

/** An event as it may be written to localStorage: without ids and without free text. */
export function stored<E extends { user_id?: string; org_id?: string; props?: Record<string, unknown> }>(e: E, text: string[]): E {
  const props = e.props && { ...e.props }
  if (props) for (const k of text) delete props[k]
  return { ...e, user_id: undefined, org_id: undefined, props }
}
