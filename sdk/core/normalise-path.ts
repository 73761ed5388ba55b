// Page paths reduced to their page (PRIVACY.md 5, 13): decoded until stable, no query string,
// fragment or matrix parameters, and every segment that could name a record or a person is
// `:id`. An application's router template (`/orders/:id`) is preferred when it sends one. File
// names of pages (`index.html`, `report.php`) stay: their name is judged without the extension.
import { normaliseText } from './free-text.ts'

const MAX_SEGMENT = 40
const PARAM = /^(?::[A-Za-z_][A-Za-z0-9_]*[?*+]?|\[{1,2}(?:\.\.\.)?[A-Za-z_][A-Za-z0-9_]*\]{1,2}|\{[A-Za-z_][A-Za-z0-9_]*\}|\*{1,2}|<[a-z]+:?[A-Za-z_][A-Za-z0-9_]*>)$/
// Collections whose next segment is a person (`/users/jane.roe`, `/u/jroe`, `/profile/anna`) or
// what someone typed (`/search/jane`, `/tag/roe`).
const PERSON_COLLECTIONS = new Set(['u', 'user', 'users', 'profile', 'profiles', 'people', 'person', 'persons', 'member', 'members', 'customer', 'customers', 'client', 'clients', 'account', 'accounts', 'employee', 'employees', 'author', 'authors', 'team', 'staff', 'contact', 'contacts', 'owner', 'owners', 'patient', 'patients', 'by', 'mitarbeiter', 'kunden', 'kunde', 'benutzer', 'nutzer', 'search', 'suche', 'q', 'query', 'find', 'lookup', 'tag', 'tags', 'name', 'email', 'mail', 'handle', 'invite', 'verify', 'confirm', 'unsubscribe', 'share', 'shared'])
// What may follow such a collection and still be a page of the application.
const PAGE_WORDS = new Set(['new', 'edit', 'list', 'search', 'settings', 'me', 'self', 'invite', 'invites', 'create', 'index', 'all', 'overview', 'import', 'export', 'login', 'logout', 'signup', 'register', 'admin', 'roles', 'groups', 'permissions', 'preferences', 'security', 'password', 'reset'])

// Page segments repeat on every page view: a segment found to be a plain page word is
// remembered (bounded); such a word names no person by the rules below.
const PAGE_SEGMENTS = new Set<string>()
const MAX_PAGE_SEGMENTS = 10_000

// Extensions that name a page of a site rather than a record (issue 28: `/index.html` and
// `/module.html` both became `/:id`). Only the last dot counts: `jane.roe.html` keeps a dot in
// its name, and `4711.php` a digit, so both stay `:id`.
const PAGE_EXTENSION = /\.(?:html?|php|aspx|jsp)$/i

/** The name a segment is judged by: a page file's name without its extension, else the segment. */
function pageName(segment: string): string {
  return segment.includes('.') && PAGE_EXTENSION.test(segment) ? segment.slice(0, segment.lastIndexOf('.')) : segment
}

/** True when a decoded segment could identify a record or a person rather than a page. */
export function isIdSegment(segment: string, previous: string | undefined): boolean {
  if (previous !== undefined && PERSON_COLLECTIONS.has(previous.toLowerCase()) && !PAGE_WORDS.has(pageName(segment).toLowerCase())) return true
  if (PAGE_SEGMENTS.has(segment)) return false
  if (looksLikeId(pageName(segment))) return true
  if (PAGE_SEGMENTS.size >= MAX_PAGE_SEGMENTS) PAGE_SEGMENTS.clear()
  PAGE_SEGMENTS.add(segment)
  return false
}

// Character classes of looksLikeId, by char code (0-127); anything above is non-ASCII.
const BAD = 1 // control characters, and ; = @ ~ + , $ ! ' ( ) * : % (matrix params, e-mails, ~user)
const DIGIT = 2
const DOT = 4
const UPPER = 8 // A-Z
const LOWER = 16 // a-z _ -
const OTHER = 32 // the rest of printable ASCII
const CLASS = new Uint8Array(128).fill(BAD)
for (let c = 0x20; c <= 0x7e; c++) CLASS[c] = OTHER
for (const ch of ";=@~+,$!'()*:%") CLASS[ch.charCodeAt(0)] = BAD
for (let c = 48; c <= 57; c++) CLASS[c] = DIGIT
CLASS[46] = DOT
for (let c = 65; c <= 90; c++) CLASS[c] = UPPER
for (let c = 97; c <= 122; c++) CLASS[c] = LOWER
CLASS[95] = LOWER // _
CLASS[45] = LOWER // -

/**
 * One pass over the characters, in place of a regex per rule (segments repeat, but id segments
 * never make it into PAGE_SEGMENTS): an id is anything long, non-ASCII, with a matrix parameter,
 * an e-mail or ~user sign, a digit or a dot; a JWT (`eyJ`) or a long base64-like run with a
 * capital; or anything but letters, `_` and `-`.
 */
function looksLikeId(segment: string): boolean {
  const len = segment.length
  if (len > MAX_SEGMENT || len === 0) return true
  let seen = 0
  for (let i = 0; i < len; i++) {
    const c = segment.charCodeAt(i)
    if (c >= 128) return true
    seen |= CLASS[c]!
  }
  if (seen & (BAD | DIGIT | DOT | OTHER)) return true
  // Letters, _ and - only from here. With a capital: a JWT's start, or a run as long as base64.
  return (seen & UPPER) !== 0 && (len >= 16 || segment.startsWith('eyJ'))
}

function stripOrigin(path: string): string {
  if (path.startsWith('/') && !path.startsWith('//')) return path
  const origin = /^(?:[a-z][a-z0-9+.-]*:)?\/\/[^/?#]*/i.exec(path)
  return origin ? path.slice(origin[0].length) : path
}

const PLAIN_ASCII = /^[\x21-\x24\x27-\x7e]*$/ // printable ASCII without % and &
/** Everything from the first ? or # on goes (as `p.replace(/[?#].*$/s, '')`, without a regex per path). */
function cutQuery(p: string): string {
  const q = p.indexOf('?')
  const h = p.indexOf('#')
  const cut = q < 0 ? h : h < 0 ? q : Math.min(q, h)
  return cut < 0 ? p : p.slice(0, cut)
}

/**
 * A path without origin, query string, fragment and matrix parameters (`;jsessionid=`), decoded
 * until stable, with id-like segments as `:id`. Accepts full URLs too and keeps only their path.
 */
export function normalisePath(input: string): string {
  let path = cutQuery(stripOrigin(input.trim()))
  // Decoding may reveal a new ?, # or origin (`%3F`, `%252F`): cut again after each round. Plain
  // ASCII without escapes or entities (most paths) has nothing to decode.
  for (let round = 0; round < 4 && !PLAIN_ASCII.test(path); round++) {
    const next = cutQuery(stripOrigin(normaliseText(path)))
    if (next === path) break
    path = next
  }
  // Most paths have neither: a character test is cheaper than a regex replace that finds nothing.
  if (path.includes(';')) path = path.replace(/;jsessionid=[^/]*/gi, '')
  if (path.includes('\\')) path = path.replace(/\\/g, '/')
  // Segment by segment with indexOf, the answer built as it goes: no array of segments and no
  // join per path (split and join were most of this function's time).
  let out = ''
  let previous: string | undefined
  for (let start = 0; start <= path.length; ) {
    let end = path.indexOf('/', start)
    if (end < 0) end = path.length
    const segment = path.slice(start, end).trim()
    start = end + 1
    if (segment === '' || segment === '.' || segment === '..') continue
    out += isIdSegment(segment, previous) ? '/:id' : '/' + segment
    previous = segment
  }
  return out === '' ? '/' : out
}

/**
 * A router template (`/orders/:orderId`, `/orders/[id]`, `/files/{name}`, `/docs/*`) as a path
 * whose parameters are `:id`, or undefined if it is not one: a static segment that would itself
 * become `:id` means the "template" holds a value, and the page's own path is used instead.
 */
export function routeTemplate(input: string): string | undefined {
  if (!input.startsWith('/') || input.length > 300 || /[?#%\s]/.test(input)) return undefined
  const out: string[] = []
  let previous: string | undefined
  for (const segment of input.split('/')) {
    if (segment === '') continue
    if (PARAM.test(segment)) out.push(':id')
    else if (isIdSegment(segment, previous)) return undefined
    else out.push(segment)
    previous = segment
  }
  return '/' + out.join('/')
}
