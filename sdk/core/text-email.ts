// E-mail addresses in free text, plain, spaced (`jane . roe @ firma . de`) or obfuscated
// (`jane at example dot com`, `name(at)example.de`), found in time linear in the text: one
// regex finds the `@`-like anchors, then each side is read in a bounded window by hand. A single
// regex with spelled-out separators backtracked exponentially (`a_dot_a_dot_...` never returned).

// The anchor: `@` with up to three spaces, `[at]`-like brackets, ` at ` or `-at-`, `_at_`.
const ANCHOR = /(?<!\s)\s{0,3}(?:@|[\[({<]\s{0,2}(?:at|ät|@)\s{0,2}[\])}>])\s{0,3}|\s{1,3}(?:at|ät)\s{1,3}|[-_](?:at|ät)[-_]/giu
// A separator between labels, read at the end of the left side or the start of the right side.
const DOT_AFTER = /(?:\.|\s{1,2}\.\s{1,2}|\s{0,2}[\[({<]\s{0,2}(?:dot|punkt|point|\.)\s{0,2}[\])}>]\s{0,2}|\s{1,3}(?:dot|punkt)\s{1,3}|[-_]dot[-_])/iuy
const DOT_BEFORE = /(?:\.|\s{1,2}\.\s{1,2}|\s{0,2}[\[({<]\s{0,2}(?:dot|punkt|point|\.)\s{0,2}[\])}>]\s{0,2}|\s{1,3}(?:dot|punkt)\s{1,3}|[-_]dot[-_])$/iu
const LOCAL_CHAR = /[\p{L}\p{N}_%+'-]/u
const LABEL = /[\p{L}\p{N}-]{1,63}/uy
const MAX_PARTS = 8

/** Where the local part before `end` starts, or -1: words joined by dots, read backwards. */
function localStart(text: string, end: number, floor: number): number {
  let start = end
  for (let part = 0; part < MAX_PARTS; part++) {
    let i = start
    while (i > floor && start - i < 64 && LOCAL_CHAR.test(text[i - 1]!)) i--
    if (i === start) return part === 0 ? -1 : start
    start = i
    // A dot-like separator before this word: read it on a short slice (bounded cost).
    const m = DOT_BEFORE.exec(text.slice(Math.max(floor, start - 12), start))
    if (!m || start - m[0].length <= floor) return start
    const before = start - m[0].length
    if (before <= floor || !LOCAL_CHAR.test(text[before - 1]!)) return start
    start = before
  }
  return start
}

/** Where the domain after `from` ends (labels joined by dots, the last 2-24 letters), or -1. */
function domainEnd(text: string, from: number): number {
  let at = from
  let end = -1
  for (let part = 0; part < MAX_PARTS + 2; part++) {
    LABEL.lastIndex = at
    const m = LABEL.exec(text)
    if (!m) break
    // A `-dot-` inside a label is a separator: `firma-dot-com`.
    const inner = m[0].split(/-dot-/i)
    const last = inner[inner.length - 1]!
    at += m[0].length
    if ((part > 0 || inner.length > 1) && /^\p{L}{2,24}$/u.test(last)) end = at
    DOT_AFTER.lastIndex = at
    const d = DOT_AFTER.exec(text)
    if (!d) break
    at += d[0].length
  }
  return end
}

/** Replaces each address by `placeholder`; the work per character is bounded. */
export function replaceEmails(text: string, placeholder: string): string {
  let out = ''
  let copied = 0
  for (const a of text.matchAll(ANCHOR)) {
    if (a.index < copied) continue
    const start = localStart(text, a.index, copied)
    if (start < 0) continue
    const end = domainEnd(text, a.index + a[0].length)
    if (end < 0) continue
    out += text.slice(copied, start) + placeholder
    copied = end
  }
  return copied === 0 ? text : out + text.slice(copied)
}
