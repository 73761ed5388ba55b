// Strings leave an on-prem installation scrubbed (PRIVACY.md 5 and 11): no e-mail addresses, IP
// addresses, file paths, user or host names, long digit runs. Crash stacks leave only as a hash
// of their frames with the paths taken out.
import { createHash } from 'node:crypto'
import { LIMITS } from '../core/catalog.ts'

/** Names of this machine that must not leave it: the OS user and the host name. */
export interface LocalNames {
  user?: string
  host?: string
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const wholeWord = (name: string) => new RegExp(`(?<![\\p{L}\\p{N}_])${escape(name)}(?![\\p{L}\\p{N}_])`, 'giu')

const RULES: [RegExp, string][] = [
  [/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, '[email]'],
  [/\bfile:\/\/\S+/gi, '[path]'],
  // Windows drive and UNC paths, then Unix paths under the usual roots (route paths such as
  // /reports/monthly are left alone).
  [/\b[a-z]:\\[^\s"'<>|]*/gi, '[path]'],
  [/\\\\[^\s"'<>|]+/g, '[path]'],
  [/(^|[\s"'(=:])\/(home|Users|root|var|tmp|etc|opt|usr|srv|mnt|media|private|proc|run|data|app|workspace|builds?)\b[^\s"')]*/g, '$1[path]'],
  [/\b(\d{1,3}\.){3}\d{1,3}\b/g, '[ip]'],
  // IPv6, full or compressed; the look-arounds keep `Foo::bar` and clock times out of it.
  [/(?<![\w:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{0,4}::(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{0,4})(?![\w:])/gi, '[ip]'],
  [/\d{6,}/g, '[number]'],
]

export function scrubText(text: string, names: LocalNames = {}, maxLength: number = LIMITS.maxPropStringLength): string {
  let s = text
  for (const [re, to] of RULES) s = s.replace(re, to)
  // As whole words only, so that a short name does not erase parts of ordinary words.
  if (names.user) s = s.replace(wholeWord(names.user), '[user]')
  if (names.host) s = s.replace(wholeWord(names.host), '[host]')
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
