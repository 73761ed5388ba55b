// Free text as words and short phrases (PRIVACY.md 17, "free text is kept as the words and
// phrases that k people used"): after the detectors (sdk/core/free-text.ts) have replaced what
// they found with placeholders, the text is cut into lower-case words of letters and the
// bigrams of adjacent words; stop words, placeholders and whatever touches one are left out.

/** A placeholder of the detectors (`[email]`, `[phone]`, ...): the words next to it are dropped too. */
const PLACEHOLDER = /\[[a-z_ ]{2,20}\]/gu
const WORD = /\p{L}+(?:['’]\p{L}+)*/gu
/** Words of one text kept at most: a longer text keeps its first ones (a bound on the work per event). */
export const MAX_TERMS = 48
const MIN_LETTERS = 2
const MAX_LETTERS = 32

// English and German, the languages of the products Veil serves; a word here carries no theme.
const STOP_WORDS = new Set(
  `a an and are as at be been but by can could did do does for from had has have he her him his how i if in into is it its
  me my no not of on or our she so than that the their them then there these they this to too us was we were what when where
  which who why will with would you your im dont cant isnt its ive
  aber als am an auch auf aus bei bin bis bist da das dass dem den der des die doch du ein eine einem einen einer er es für
  hat hatte ich ihr im in ist ja kann mich mir mit nach nicht noch nur oder sehr sich sie sind so um und uns von war was
  wenn wie wir wird zu zum zur über`.split(/\s+/).filter(Boolean),
)

/**
 * The terms of a scrubbed text: words, then bigrams (`word word`), each once, in order of
 * appearance. Punctuation and a placeholder break a phrase, and the words right beside it are dropped: a
 * detector's match often leaves a piece of the person behind (the name before an address).
 */
export function termsOf(scrubbed: string): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  const add = (t: string) => {
    if (!seen.has(t) && out.length < MAX_TERMS) seen.add(t), out.push(t)
  }
  for (const piece of scrubbed.split(PLACEHOLDER).map((p, i, all) => trimNeighbours(p, i > 0, i < all.length - 1))) {
    let previous: string | undefined
    let end = 0
    for (const m of piece.matchAll(WORD)) {
      // Punctuation between two words ends a phrase: "slow. Export" is no phrase.
      if (/[^\s-]/u.test(piece.slice(end, m.index))) previous = undefined
      end = m.index + m[0].length
      const w = m[0].toLowerCase().replace(/['’]/g, '')
      if (w.length < MIN_LETTERS || w.length > MAX_LETTERS || STOP_WORDS.has(w)) {
        previous = undefined
        continue
      }
      add(w)
      if (previous) add(`${previous} ${w}`)
      previous = w
    }
  }
  return out
}

/** A piece between placeholders without the word that touches a placeholder on either side. */
function trimNeighbours(piece: string, afterPlaceholder: boolean, beforePlaceholder: boolean): string {
  let p = piece
  if (afterPlaceholder) p = p.replace(/^\s*\S*/u, ' ')
  if (beforePlaceholder) p = p.replace(/\S*\s*$/u, ' ')
  return p
}

/** How a row holds the terms of one text (sql/0050_values.sql splits on it): words and phrases have no `|`. */
export const TERM_SEPARATOR = '|'
