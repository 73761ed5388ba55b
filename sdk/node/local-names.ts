// The names of this machine that must not leave it (PRIVACY.md 11 and 16): the OS user, the host
// name and the home directory, taken out of event names, prop keys and paths as they are out of
// prop values (scrub.ts), in any case, and inside longer words too (`jroe_weekly`) once they
// have SUBSTRING_MIN letters. Names and keys keep their wire shape (EVENTS.md), so a name found
// in one becomes the word `user` or `host`; in a path the segment becomes `:id`.
import { homedir, hostname, userInfo } from 'node:os'
import { basename } from 'node:path'
import { SUBSTRING_MIN, type LocalNames } from './scrub.ts'

/**
 * Account names that every machine of a kind has; they say nothing about a person, and taking
 * them out would break ordinary words (`root_cause`, `admin_page`).
 */
const GENERIC = new Set(['root', 'admin', 'administrator', 'user', 'users', 'guest', 'system', 'nobody', 'node', 'app', 'www-data', 'ubuntu', 'runner', 'docker', 'localhost'])

export function localNames(): LocalNames {
  const pick = (f: () => string): string | undefined => {
    try {
      const v = f().trim()
      return v && !GENERIC.has(v.toLowerCase()) ? v : undefined
    } catch {
      return undefined
    }
  }
  // A home of /, C:\ or /root names nobody.
  const home = pick(homedir)
  const personal = home && pick(() => basename(home.replace(/\\/g, '/')))
  return { user: pick(() => userInfo().username), host: pick(hostname), home: personal ? home : undefined }
}

/** How a name can appear in an identifier: lower case, its separators as `_`, `.` or nothing. */
function spellings(name: string): string[] {
  const lower = name.toLowerCase()
  const parts = lower.split(/[^a-z0-9]+/).filter(Boolean)
  const all = new Set([parts.join('_'), parts.join('.'), parts.join('')])
  // The short host name as well: `plant-ws-17.corp.example` appears as `plant_ws_17`.
  const first = lower.split('.')[0]!.split(/[^a-z0-9]+/).filter(Boolean)
  if (first.length) for (const s of [first.join('_'), first.join('')]) all.add(s)
  return [...all].filter((s) => s.length >= 2).sort((a, b) => b.length - a.length)
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Replaces the machine's names inside an event name or prop key, in any case: anywhere once a
 * spelling has SUBSTRING_MIN characters (`jroe_weekly` -> `user_weekly`), a shorter one only as
 * a word between `_` and `.`.
 */
export function createNameScrubber(names: LocalNames): (identifier: string) => string {
  const rules: [RegExp, string][] = []
  for (const [name, word] of [[names.user, 'user'], [names.host, 'host']] as const) {
    if (!name) continue
    for (const s of spellings(name)) {
      rules.push(s.replace(/[._]/g, '').length >= SUBSTRING_MIN
        ? [new RegExp(escape(s), 'gi'), word]
        : [new RegExp(`(^|[._])${escape(s)}(?=$|[._])`, 'gi'), `$1${word}`])
    }
  }
  return (identifier) => {
    let out = identifier
    for (const [re, to] of rules) out = out.replace(re, to)
    return out
  }
}

/** The words of a string: lower-case runs of letters and digits. */
const wordsOf = (s: string) => s.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)

/** Replaces path segments that hold the machine's names (or the home directory) with `:id`. */
export function createPathScrubber(names: LocalNames): (path: string) => string {
  // A name matches a segment as a run of whole words, or written without separators; one of
  // SUBSTRING_MIN letters or more also inside a word (`report-plantws17`, `jroe_weekly`).
  const given = [names.user, names.host, names.host?.split('.')[0]].filter((n): n is string => !!n)
  const phrases = given
    .flatMap((n) => [wordsOf(n).join(' '), wordsOf(n).join('')])
    .filter((p) => p.length >= 2)
  const compact = given.map((n) => wordsOf(n).join('')).filter((c) => c.length >= SUBSTRING_MIN)
  const home = names.home?.replace(/\\/g, '/')
  return (path) => {
    let p = path
    if (home && (p === home || p.startsWith(home + '/'))) p = '/:id' + p.slice(home.length)
    if (!phrases.length) return p
    return p
      .split('/')
      .map((seg) => {
        let s = seg
        try {
          s = decodeURIComponent(seg)
        } catch {}
        const words = wordsOf(s)
        const w = ` ${words.join(' ')} `
        const joined = words.join('')
        return phrases.some((ph) => w.includes(` ${ph} `)) || compact.some((c) => joined.includes(c)) ? ':id' : seg
      })
      .join('/')
  }
}
