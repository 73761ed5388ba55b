// Detectors of free text beyond addresses and numbers (issue 25, kind 7): secrets written as
// `key=value` or `password: ...`, file paths with user names, host names, street addresses,
// dates of birth and record numbers (customer, staff, passport). Every pattern starts where a
// lookbehind or a keyword allows and has bounded repetitions, so each costs time linear in the text.
import { ISO_3166_1 } from './iso-codes.ts'

// Secrets by their key: the key stays (it says what was there), the value goes. German, French,
// Polish and Turkish words for a password as well. `is`/`ist`/`lautet` cover "my password is x".
const SECRET_KEY = String.raw`(?:pass(?:word|wort|wd)?|pw|pwd|kennwort|mot de passe|hasło|haslo|şifre|sifre|parola|pin|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|auth(?:orization)?|bearer|session(?:[_-]?id)?|sess(?:ion)?id|sid|jsessionid|phpsessid|cookie|set-cookie|key)`
const SECRET_PAIR = new RegExp(String.raw`(?<![\p{L}\p{N}_])(${SECRET_KEY}[\p{L}_-]{0,12}\s{0,3}(?:[:=]|\s(?:ist|is|lautet|est|to|jest)\s))\s{0,3}(?:(?:bearer|basic)\s+)?[^\s,;&"'<>]{1,200}`, 'giu')
// Any other `name=value` of a cookie or query string whose value is long or holds digits.
const OTHER_PAIR = /(?<![\p{L}\p{N}_])([A-Za-z_][\w.-]{0,40}=)(?=[^\s;&,"']{6,200})(?=[^\s;&,"']*\d)[^\s;&,"']{6,200}/gu

// Windows drive and UNC paths, and Unix paths under the roots that hold user names.
const WINDOWS_PATH = /(?<![\p{L}\p{N}])[a-z]:[\\/][^\s"'<>|]*/giu
const UNC_PATH = /(?<!\\)\\\\[^\s"'<>|\\]+(?:\\[^\s"'<>|]*)?/g
const UNIX_PATH = /(?<![A-Za-z0-9_./-])\/(?:home|Users|root|var|tmp|etc|opt|usr|srv|mnt|media|private|proc|run|data|app|workspace|builds?)\/[^\s"')]*/g

// Host names without a domain: Windows defaults (`DESKTOP-4F2K9QX`) and the usual naming of
// servers and workstations (`srv01`, `ws-fin-231`, `db-02`): a known prefix, labels, digits.
const BARE_HOST = /(?<![\p{L}\p{N}_.-])(?:(?:desktop|laptop|win|pc|nb)-[a-z0-9]{5,15}|(?:srv|svr|server|ws|wks|pc|nb|lt|dc|db|sql|fs|vm|host|mail|exch|prn|nas|rdp|ts|ctx|app|web|node|k8s|sap|erp)(?:[-_][a-z]{1,10}){0,3}[-_]?\d{2,4}[a-z]?)(?![\p{L}\p{N}_])/giu
// Hosts with a domain: runs of labels read once (a lookbehind lets a run start only once), kept
// when the last label is a TLD or a private network's name (`ws-fin-231.corp.local`).
const TLDS = new Set(`com net org edu gov mil int io info biz app dev ai co me eu uk xyz cloud online site tech shop store local lan internal intranet corp home example test invalid localhost ${ISO_3166_1.toLowerCase()}`.split(' '))
const HOST_RUN = /(?<![\p{L}\p{N}_.-])[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,63}){1,12}(?::\d{1,5})?(?:\/[^\s<>"']*)?/giu

export function replaceHosts(text: string, placeholder: string): string {
  return text.replace(HOST_RUN, (m) => {
    const host = /^[^:/]*/.exec(m)![0]
    const labels = host.split('.')
    // The last label that is a TLD ends the host; what follows it is kept unless it is the end.
    for (let i = labels.length - 1; i >= 1; i--) {
      if (!TLDS.has(labels[i]!.toLowerCase())) continue
      if (i === labels.length - 1) return placeholder
      return placeholder + '.' + labels.slice(i + 1).join('.') + m.slice(host.length)
    }
    return m
  })
}

// Dates of birth by their keyword (release dates and other dates stay): numeric dates and dates
// with a month name, in German, English, French, Polish and Turkish.
const MONTHS = String.raw`(?:jan(?:uary|uar)?|feb(?:ruary|ruar)?|mar(?:ch)?|märz|apr(?:il)?|may|mai|jun[ei]?|jul[iy]?|aug(?:ust)?|sep(?:t(?:ember)?)?|o[ck]t(?:ober)?|nov(?:ember)?|de[cz](?:ember)?|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre)\.?`
const DATE = String.raw`(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\s?\d{1,2}[./-]\s?\d{2,4}|\d{1,2}\.?\s{1,2}${MONTHS}\s{1,2}\d{2,4}|${MONTHS}\s{1,2}\d{1,2},?\s{1,2}\d{4})`
const BIRTH_KEY = String.raw`(?:geb\.|geboren(?:\s+am)?|geburtsdatum|geburtstag|born(?:\s+on)?|date\s+of\s+birth|birth\s?date|birthday|d\.?o\.?b\.?|né(?:e)?\s+le|date\s+de\s+naissance|data\s+urodzenia|urodzon[ya]|doğum\s+tarihi|dogum\s+tarihi)`
const BIRTH_DATE = new RegExp(String.raw`(?<![\p{L}])(${BIRTH_KEY}\s{0,3}[:.]?\s{0,3})${DATE}`, 'giu')

// Record numbers by their keyword: customer, staff, member, passport and id-card numbers.
const RECORD_KEY = String.raw`(?:kunden?-?(?:nummer|nr\.?)|kd\.?-?nr\.?|customer\s?(?:no\.?|number|id|#|nr\.?)|client\s?(?:no\.?|number|id)|numéro\s+(?:de\s+)?(?:client|passeport)|n°\s?client|staff\s?(?:no\.?|number|id)|employee\s?(?:no\.?|number|id)|personal-?(?:nummer|nr\.?)|mitarbeiter-?(?:nummer|nr\.?)|member(?:ship)?\s?(?:no\.?|number|id)|passport(?:\s?(?:no\.?|number|nr\.?))?|reisepass(?:-?(?:nummer|nr\.?))?|pass-?nr\.?|ausweis(?:-?(?:nummer|nr\.?))?|id\s?card(?:\s?(?:no\.?|number))?|numer\s+(?:klienta|paszportu)|müşteri\s+no)`
const RECORD_NUMBER = new RegExp(String.raw`(?<![\p{L}])(${RECORD_KEY}\s{0,3}[:#.]?\s{0,3})((?=[A-Z0-9/-]{0,24}\d)[A-Z0-9][A-Z0-9/-]{1,24})`, 'giu')
// Record numbers by their shape: letters, a dash, digits (`KD-447-1`, `MA-12345`), and 8 to 12
// capitals and digits with at least three digits (passports such as `C01X00T47`). Standards are
// left (`ISO-9001`, `RFC-7231`).
const RECORD_SHAPE = /(?<![\p{L}\p{N}_-])(?!(?:ISO|DIN|EN|IEC|RFC|CVE|UTF|SHA|COVID|MPEG|HTTP|TLS|ES|ECMA)-)(?:[A-Z]{1,4}-\d{3,}(?:-\d{1,6})*|[A-Z]{1,4}-\d{1,6}-\d{1,6}(?:-\d{1,6})*|(?=[A-Z0-9]{8,12}(?![\p{L}\p{N}_]))(?=(?:[A-Z]*\d){3})(?=\d*[A-Z])[A-Z0-9]{8,12})(?![\p{L}\p{N}_-])/gu

// Street addresses: a street word with its name and house number, either order (`Kamptalweg
// 35b`, `Sürderstr. 22c`, `7258 Center Road`, `72 Boulevard de Seine`, `Gül Sokak 35`, `ul. Długa 5`).
const DE_STREET = String.raw`(?:[\p{Lu}][\p{L}.-]{1,40}(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|steig|pfad|markt|graben)|(?:Am|An der|An den|Auf der|Auf dem|Im|In der|In den|Unter den|Unter dem|Zum|Zur|Hinter der|Vor dem)\s[\p{Lu}][\p{L}-]{1,40}(?:\s[\p{Lu}][\p{L}-]{1,40})?)`
// English and French order with two or more capitalised words (`591 Vilma Ridge`, `912 W 3rd
// Street`; one word after a number is a product and its version: `Windows 11 Pro`), and Arabic.
const NUMBER_FIRST = String.raw`\d{1,5}[a-z]?\s(?:\d{1,3}(?:st|nd|rd|th)\s)?\p{Lu}[\p{L}'’-]{0,30}(?:\s(?:\d{1,3}(?:st|nd|rd|th)\s)?\p{Lu}[\p{L}'’-]{0,30}){1,3}|\d{1,5}\s[\p{Script=Arabic}\p{M}]{2,30}(?:\s[\p{Script=Arabic}\p{M}]{2,30}){0,3}`
const STREET_WORD = String.raw`(?:street|st\.|road|rd\.|avenue|ave\.?|lane|ln\.|drive|dr\.|boulevard|blvd\.?|way|court|ct\.|place|pl\.|square|sq\.|terrace|close|crescent|parkway|pkwy|highway|hwy|motorway|alley|row|walk|gardens|grove|hill|park|path|trail|route|rue|allée|chemin|impasse|quai|cours|voie|sokak|sokağı|caddesi|cad\.|mahallesi|ulica|ul\.|aleja|al\.|plac|rondo|droga|osiedle|rynek|ogród|wyb\.|skwer|bulwar|os\.|passage|sentier|straße|strasse|str\.|weg|allee|platz|gasse|via|calle|شارع|طريق|marg|मार्ग|रोड)`
const HOUSE = String.raw`\d{1,5}\s?[a-z]?(?:\/\d{1,4})?`
const NAME_WORDS = String.raw`(?:[\p{L}'’.-]{1,30}\s{1,2}){0,3}`
// Capitals matter in the first two forms, so they are a pattern without the `i` flag.
const ADDRESS_CASED = new RegExp(String.raw`(?<![\p{L}\p{N}])(?:${DE_STREET}\s{0,2}${HOUSE}|${NUMBER_FIRST})(?![\p{L}\p{N}])`, 'gu')
const ADDRESS = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?:${HOUSE}\s{1,2}${NAME_WORDS}${STREET_WORD}(?:\s{1,2}[\p{Lu}\p{Lo}][\p{L}'’-]{1,30}){0,3}|${STREET_WORD}\s{1,2}${NAME_WORDS}${HOUSE})(?![\p{L}\p{N}])`,
  'giu',
)

/** The detectors of this file, in the order they must run (secrets before hosts and numbers). */
export function replaceSecretsAndPaths(text: string): string {
  let s = text
  if (s.includes('\\') || s.includes(':') || s.includes('/')) {
    s = s.replace(WINDOWS_PATH, '[path]').replace(UNC_PATH, '[path]').replace(UNIX_PATH, '[path]')
  }
  s = s.replace(SECRET_PAIR, '$1[secret]')
  if (s.includes('=')) s = s.replace(OTHER_PAIR, '$1[secret]')
  return s
}

export function replaceHostNames(text: string): string {
  return replaceHosts(text, '[url]').replace(BARE_HOST, '[host]')
}

/** Dates of birth, addresses and record numbers: run before the generic number rules. */
export function replacePersonalRecords(text: string): string {
  return text
    .replace(BIRTH_DATE, '$1[date]')
    .replace(RECORD_NUMBER, (_m, key: string, value: string) => key + (/^\d+$/.test(value) ? '[number]' : '[id]'))
    .replace(ADDRESS_CASED, '[address]')
    .replace(ADDRESS, '[address]')
    .replace(RECORD_SHAPE, '[id]')
}
