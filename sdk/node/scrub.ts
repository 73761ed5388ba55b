// Strings leave an on-prem installation scrubbed (PRIVACY.md 5 and 11): the shared rules of
// sdk/core/scrub.ts (e-mail, phone, IP, IBAN, card, digit runs, URL tokens) plus file paths,
// user and host names. Crash stacks leave only as a hash of their frames with the paths taken out.
import { createHash } from 'node:crypto'
import { LIMITS } from '../core/catalog.ts'
import { scrubText as scrubShared } from '../core/scrub.ts'

/** Names of this machine that must not leave it: the OS user and the host name. */
export interface LocalNames {
  user?: string
  host?: string
  /** The home directory (os.homedir()): it often holds the user's real name. */
  home?: string
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Names this long or longer are removed wherever they appear, also inside a longer word
 * (`jroe_weekly`, `report-plantws17`, PRIVACY.md 16); shorter ones only as a word of their own,
 * so that a two-letter host name does not erase parts of ordinary words (`vm` in `vms`).
 */
export const SUBSTRING_MIN = 4

/**
 * A machine's name, its separators written any way (`jane.roe` also as `jane_roe`, `jane-roe`,
 * `jane roe`, `janeroe`), in any case.
 */
export const nameRegex = (name: string) => {
  const words = name.split(/[^\p{L}\p{N}]+/u).filter(Boolean).map(escape)
  const body = words.length > 1 ? words.join('[._\\-\\s]?') : escape(name)
  if (words.join('').length >= SUBSTRING_MIN) return new RegExp(body, 'giu')
  return new RegExp(`(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])`, 'giu')
}

/** What only an installation has: file paths. The shared rules do the rest. */
const LOCAL_RULES: [RegExp, string][] = [
  [/\bfile:\/\/\S+/gi, '[path]'],
  // Windows drive and UNC paths, then Unix paths under the usual roots (route paths such as
  // /reports/monthly are left alone).
  [/\b[a-z]:\\[^\s"'<>|]*/gi, '[path]'],
  [/\\\\[^\s"'<>|]+/g, '[path]'],
  [/(^|[\s"'(=:])\/(home|Users|root|var|tmp|etc|opt|usr|srv|mnt|media|private|proc|run|data|app|workspace|builds?)\b[^\s"')]*/g, '$1[path]'],
]

export function scrubText(text: string, names: LocalNames = {}, maxLength: number = LIMITS.maxPropStringLength): string {
  // Bounded first (only maxLength characters leave), cut before a word the cut may have split.
  let s = text.length > maxLength * 2 ? text.slice(0, maxLength * 2).replace(/\S*$/, '') : text
  // The home directory first, with the rest of its path, wherever it is (also under roots the
  // rules below do not know).
  if (names.home) s = s.replace(new RegExp(`${escape(names.home)}[^\\s"'<>|]*`, 'gi'), '[path]')
  for (const [re, to] of LOCAL_RULES) s = s.replace(re, to)
  s = scrubShared(s)
  // Anywhere, also inside longer words (a short name only as a word, nameRegex); the host name
  // before its short form (plant-ws-17.corp.example, then plant-ws-17).
  if (names.user) s = s.replace(nameRegex(names.user), '[user]')
  if (names.host) s = s.replace(nameRegex(names.host), '[host]')
  const short = names.host?.split('.')[0]
  if (short && short !== names.host) s = s.replace(nameRegex(short), '[host]')
  return s.slice(0, maxLength)
}

/**
 * The frames of a V8 stack with file locations removed: `at fn (/x/y.js:1:2)` -> `fn`,
 * `at /x/y.js:1:2` -> `<anonymous>`. Function names say where it broke without saying where the
 * code is installed.
 */
export function stackFrames(stack: string | undefined): string[] {
  return (stack ?? '')
    .split('\n')
    .map((l) => /^\s*at (?:async )?(.*?)(?: \(.*\))?$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => (/[/\\]|:\d+:\d+$|^node:|^file:/.test(m[1]) ? '<anonymous>' : m[1]))
}

/** Same crash site, same fingerprint, on every machine and install path. */
export function crashFingerprint(errorType: string, stack: string | undefined): string {
  return createHash('sha256').update([errorType, ...stackFrames(stack)].join('\n')).digest('hex').slice(0, 16)
}
