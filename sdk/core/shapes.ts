// Strict shapes (PRIVACY.md 13): what a stored string that is not declared free text may look
// like. Names, keys and token values must not be able to carry a person (no digit runs, no
// e-mail, domain or phone shapes); context fields come from closed lists. Shared by the server
// and the on-prem SDK; plain code, no dependencies.
import { ISO_3166_1, ISO_639_1 } from './iso-codes.ts'

// Top-level domains that make `jane_roe_example_com` an address rather than a name: only those
// that are not also ordinary words of event names (`app`, `dev`, `mail`, `invalid` are left out).
const GENERIC_TLDS = new Set(['com', 'net', 'org', 'edu', 'gov', 'mil', 'io', 'info', 'biz', 'eu', 'xyz', 'localhost', 'onion'])
/** Mail providers: a label naming one is an address with its parts renamed. */
const MAIL_PROVIDERS = new Set(['gmail', 'googlemail', 'yahoo', 'hotmail', 'outlook', 'gmx', 'icloud', 'proton', 'protonmail', 'aol', 'msn', 'yandex', 'mailbox', 'posteo', 'tutanota', 'tonline', 'freenet', 'mailru', 'qq', 'naver'])
/** Country TLDs count as a domain shape when they end a name of four or more labels. */
const COUNTRY_TLDS = new Set(ISO_3166_1.toLowerCase().split(' ').concat(['uk']))

const DIGIT_RUN = /\d{4,}/
const LABEL_SPLIT = /[._:/_-]+/
const UPPER = /[A-Z]/

function digitCount(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) n++
  }
  return n
}

function shapeOf(s: string): string | undefined {
  if (DIGIT_RUN.test(s)) return 'holds a run of 4 or more digits'
  if (digitCount(s) >= 7) return 'holds as many digits as a phone number'
  if (s.includes('@') || s.includes('＠')) return 'looks like an e-mail address'
  const labels = (UPPER.test(s) ? s.toLowerCase() : s).split(LABEL_SPLIT)
  let count = 0
  let last = ''
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === '') continue
    count++
    last = labels[i]!
    if (MAIL_PROVIDERS.has(last)) return 'names a mail provider (an e-mail address in disguise)'
    if (count > 1 && GENERIC_TLDS.has(last)) return 'looks like a domain or e-mail address'
    if (last === 'dot' && count > 1 && i < labels.length - 1) return 'looks like a domain ("dot")'
  }
  if (count >= 4 && COUNTRY_TLDS.has(last)) return 'looks like a domain or e-mail address'
  return undefined
}

// Names, keys and tokens repeat from event to event: a safe verdict is remembered (a safe string
// carries no person by definition; an unsafe one is never kept), in a bounded map.
const SAFE = new Set<string>()
const MAX_SAFE = 10_000

/** Why a name, key or token is refused; undefined when its shape is safe. */
export function unsafeShape(s: string): string | undefined {
  if (SAFE.has(s)) return undefined
  const why = shapeOf(s)
  if (why === undefined) {
    if (SAFE.size >= MAX_SAFE) SAFE.clear()
    SAFE.add(s)
  }
  return why
}

/** Event names: the wire pattern plus the strict shape. */
export function isSafeName(name: string): boolean {
  return /^[a-z][a-z0-9_.]{0,63}$/.test(name) && unsafeShape(name) === undefined
}

/** Prop keys: the wire pattern plus the strict shape. */
export function isSafeKey(key: string): boolean {
  return /^[a-z][a-z0-9_]{0,39}$/.test(key) && unsafeShape(key) === undefined
}

/** A name or key as it may appear in an answer, a log or the quarantine: itself only if safe. */
export function showName(s: string): string {
  return isSafeName(s) ? s : `[unsafe name of ${s.length} chars]`
}

// Keys whose value names or identifies a person or a record (issue 10, kind 3). Matched on the
// key's labels and on the key without underscores, so `user_name`, `username`, `fullName`.
const ID_LABELS = new Set(['id', 'ids', 'uuid', 'guid', 'uid', 'name', 'names', 'username', 'fullname', 'firstname', 'lastname', 'surname', 'nickname', 'displayname', 'email', 'mail', 'emails', 'phone', 'mobile', 'tel', 'telephone', 'fax', 'ssn', 'iban', 'bic', 'ip', 'ipaddress', 'address', 'addr', 'street', 'zip', 'zipcode', 'postcode', 'postal', 'birthday', 'birthdate', 'dob', 'passport', 'password', 'passwd', 'secret', 'apikey', 'jwt', 'bearer', 'cookie', 'imei', 'mac', 'vin', 'taxid', 'vat', 'hostname', 'host', 'owner', 'author', 'assignee', 'login', 'handle', 'signature', 'initials'])
// Words that are a person when they are the whole key or end it (`user`, `created_by`), but not
// when they qualify a count or a type (`user_count`, `customer_type`).
const PERSON_WORDS = new Set(['user', 'users', 'customer', 'client', 'member', 'employee', 'contact', 'person', 'people', 'patient', 'recipient', 'sender', 'account', 'who', 'by', 'to', 'from', 'cc', 'assigned', 'reviewer', 'approver', 'requester', 'creator', 'editor', 'actor', 'visitor', 'buyer', 'seller'])
const ID_JOINED = /(user|customer|client|member|account|employee|person|contact)(id|uuid|guid|name|mail|email|number|no|nr)|(full|first|last|given|family|sur|nick|display|user|real|middle)name|e?mail(address)?|phone(number)?|ipaddress|accesstoken|authtoken|refreshtoken|apikey|secretkey|sessionid|deviceid|uuid|guid/

/** A prop key that says its value is a person or a record id: never stored as free value. */
export function isIdentifierKey(key: string): boolean {
  const k = key.toLowerCase()
  const labels = k.split('_')
  for (const label of labels) if (ID_LABELS.has(label)) return true
  if (PERSON_WORDS.has(labels[labels.length - 1]!)) return true
  return ID_JOINED.test(k.replace(/_/g, ''))
}

const HEXISH = /^[0-9a-f]{8,}$/i
const MIXED_LONG = /^(?=.*[a-z])(?=.*\d)[a-z0-9]{8,}$/i
const TOKEN_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/

const SAFE_TOKENS = new Set<string>()

/** Why a `token` value is refused; undefined when it is a short identifier-free word. */
export function unsafeToken(v: string): string | undefined {
  if (SAFE_TOKENS.has(v)) return undefined
  const why = tokenProblem(v)
  if (why === undefined) {
    if (SAFE_TOKENS.size >= MAX_SAFE) SAFE_TOKENS.clear()
    SAFE_TOKENS.add(v)
  }
  return why
}

function tokenProblem(v: string): string | undefined {
  if (!TOKEN_PATTERN.test(v)) return 'is not a token (letters, digits, _ . : -; at most 64)'
  const shape = unsafeShape(v)
  if (shape) return shape
  // A dot only between digits (versions): `jane.roe` is a name, `4.2.1` is not.
  if (/[^\d]\.|\.[^\d]/.test(v)) return 'has a dot outside a version number (a name or a domain)'
  for (const seg of v.split(/[_.:-]/)) {
    if (HEXISH.test(seg) && /\d/.test(seg)) return 'looks like a hash or an id'
    if (MIXED_LONG.test(seg)) return 'mixes letters and digits like an id'
  }
  return undefined
}

const LANGUAGES = new Set(ISO_639_1.split(' '))
const COUNTRIES = new Set(ISO_3166_1.split(' '))

/** `de-DE`, `pt_br` -> a BCP 47 language with optional ISO region, or '' (dropped). */
export function safeLang(tag: string): string {
  const [lang, region] = tag.trim().split(/[-_]/)
  const l = (lang ?? '').toLowerCase()
  if (!LANGUAGES.has(l)) return ''
  const r = (region ?? '').toUpperCase()
  return COUNTRIES.has(r) ? `${l}-${r}` : l
}

/** `4.2.1+jane.roe`, `v4.2.1-rc.1` -> `4.2.1`: numeric, dot-separated, at most 4 parts; else ''. */
export function safeAppVersion(v: string): string {
  const m = /^v?(\d{1,4}(?:\.\d{1,4}){0,3})(?!\d)/.exec(v.trim())
  return m ? m[1]! : ''
}

/** A version as digits only, major or major.minor: `16.4.1` -> `16.4`, `abc.1` -> ''. */
export function safeOsVersion(v: string, parts: 1 | 2 = 2): string {
  const m = /^(\d{1,4})(?:\.(\d{1,4}))?/.exec(v.trim())
  if (!m) return ''
  return parts === 2 && m[2] !== undefined ? `${m[1]}.${m[2]}` : m[1]!
}

/** The deployments Veil distinguishes (EVENTS.md context); anything else is dropped. */
export const DEPLOYMENTS = ['cloud', 'onprem', 'hybrid'] as const
const DEPLOYMENT_ALIASES: Record<string, (typeof DEPLOYMENTS)[number]> = {
  cloud: 'cloud', saas: 'cloud', onprem: 'onprem', 'on-prem': 'onprem', on_prem: 'onprem', 'on-premises': 'onprem', onpremises: 'onprem', hybrid: 'hybrid',
}

export function safeDeployment(v: string): string {
  return DEPLOYMENT_ALIASES[v.trim().toLowerCase()] ?? ''
}

/** OS families (ua-parser-js names; the on-prem SDK's are mapped onto them). */
export const OS_FAMILIES = ['Windows', 'Mac OS', 'iOS', 'Android', 'Linux', 'Ubuntu', 'Debian', 'Fedora', 'Red Hat', 'CentOS', 'SUSE', 'openSUSE', 'Chromium OS', 'HarmonyOS', 'FreeBSD', 'OpenBSD', 'NetBSD', 'Solaris', 'AIX'] as const
const OS_BY_LOWER = new Map<string, string>(OS_FAMILIES.map((o) => [o.toLowerCase(), o]))
for (const [alias, os] of [['macos', 'Mac OS'], ['mac os x', 'Mac OS'], ['os x', 'Mac OS'], ['darwin', 'Mac OS'], ['win32', 'Windows'], ['windows nt', 'Windows'], ['chrome os', 'Chromium OS'], ['chromeos', 'Chromium OS'], ['ipados', 'iOS'], ['sunos', 'Solaris']] as const) OS_BY_LOWER.set(alias, os)

/** An OS family from the closed list, `other` for anything else (`Jane Roe's MacBook`), '' if none. */
export function safeOsName(name: string): string {
  if (!name) return ''
  return OS_BY_LOWER.get(name.trim().toLowerCase()) ?? 'other'
}

/** Browser families kept as they are; any other family is stored as `other`. */
export const BROWSER_FAMILIES = ['Chrome', 'Chrome Headless', 'Chrome WebView', 'Chromium', 'Edge', 'Firefox', 'Safari', 'Mobile Safari', 'Opera', 'Samsung Browser', 'Brave', 'Vivaldi', 'Yandex', 'UCBrowser', 'IE', 'Mobile Chrome', 'Mobile Firefox', 'Android Browser', 'Electron', 'Silk', 'Facebook', 'Instagram', 'WebKit'] as const
const BROWSERS = new Set<string>(BROWSER_FAMILIES)

export function safeBrowser(name: string | undefined): string {
  if (!name) return ''
  return BROWSERS.has(name) ? name : 'other'
}

// Screen sizes snap down to common sizes, so an odd window size is not a fingerprint.
const WIDTHS = [320, 360, 375, 390, 414, 480, 600, 768, 800, 1024, 1280, 1366, 1440, 1536, 1600, 1920, 2560, 3440, 3840]
const HEIGHTS = [480, 568, 640, 667, 720, 768, 800, 844, 900, 1024, 1080, 1200, 1440, 1600, 2160]

function snap(v: number, steps: readonly number[]): number {
  let out = 0
  for (const s of steps) if (v >= s) out = s
  return out
}

/** `{w: 1917, h: 1043}` -> `{w: 1600, h: 1024}`; below the smallest bucket -> 0 (unknown). */
export function screenBucket(w: number, h: number): { w: number; h: number } {
  return { w: snap(w, WIDTHS), h: snap(h, HEIGHTS) }
}
