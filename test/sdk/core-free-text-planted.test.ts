// The free-text detectors against generated personal data (issue 25, kind 7): values from
// @faker-js/faker in several locales, seeded so a failure reproduces, planted in sentences and
// scrubbed in both modes (the server's shared rules, the on-prem SDK's scrubText); each kind
// keeps a control of ordinary product text that must come through unchanged.
import * as faker from '@faker-js/faker'
import { describe, expect, it } from 'vitest'
import { scrubFreeText } from '../../sdk/core/free-text.ts'
import { scrubText as scrubOnPrem } from '../../sdk/node/scrub.ts'

const LOCALES = { en: faker.fakerEN, de: faker.fakerDE, fr: faker.fakerFR, pl: faker.fakerPL, tr: faker.fakerTR, ar: faker.fakerAR, en_IN: faker.fakerEN_IN }
const SEED = 2026
const PER_LOCALE = 12

const ARABIC_INDIC = '٠١٢٣٤٥٦٧٨٩'
const DEVANAGARI = '०१२३४५६७८९'
const inScript = (s: string, digits: string) => s.replace(/\d/g, (d) => digits[Number(d)]!)
const dd = (n: number) => String(n).padStart(2, '0')

type Plant = (f: faker.Faker) => { text: string; secret: string }
// Each kind: a sentence with the value, and the part of it that must not survive.
const KINDS: Record<string, Plant> = {
  'street address (DE/EN forms)': (f) => { const a = f.location.streetAddress(); return { text: `${f.person.fullName()}, ${a}, bittet um Rückruf`, secret: a } },
  'date of birth, German': (f) => { const d = f.date.birthdate(); const v = `${dd(d.getDate())}.${dd(d.getMonth() + 1)}.${d.getFullYear()}`; return { text: `Herr ${f.person.lastName()}, geb. ${v}, meldet einen Fehler`, secret: v } },
  'date of birth, English': (f) => { const d = f.date.birthdate(); const v = d.toISOString().slice(0, 10); return { text: `customer DOB: ${v} in the export`, secret: v } },
  'customer number': (f) => { const v = `KD-${f.string.numeric(3)}-${f.string.numeric(1)}`; return { text: `Kunde ${v} meldet Absturz`, secret: v } },
  'staff number': (f) => { const v = f.string.numeric(4); return { text: `Personalnummer ${v} kann nicht exportieren`, secret: `nummer ${v}` } },
  'passport number': (f) => { const v = f.string.alphanumeric({ length: 9, casing: 'upper' }).replace(/^\D*/, 'C') + '7'; return { text: `passport no. ${v} uploaded`, secret: v } },
  'password': (f) => { const v = f.internet.password({ length: 12 }); const k = f.helpers.arrayElement(['password: ', 'pw=', 'Passwort ist ', 'Passwort: ']); return { text: `login failed, ${k}${v}`, secret: v } },
  'session cookie': (f) => { const v = f.string.alphanumeric(24); return { text: `Cookie: JSESSIONID=${v}; theme=dark`, secret: v } },
  'token= pair': (f) => { const v = f.string.alphanumeric(16); return { text: `called /api?token=${v}&x=1 then failed`, secret: v } },
  'intranet URL with query': (f) => { const v = `${f.internet.domainWord()}.intranet.${f.internet.domainSuffix()}/hr?employee=${f.person.lastName()}`; return { text: `see ${v} for details`, secret: v.split('/')[0]! } },
  'host name, domain': (f) => { const v = `ws-${f.string.alpha(3).toLowerCase()}-${f.string.numeric(3)}.corp.local`; return { text: `crash on ${v} again`, secret: v.split('.')[0]! } },
  'host name, bare': (f) => { const v = `srv${f.string.numeric(2)}`; return { text: `${v} is down`, secret: v } },
  'Windows path with user': (f) => { const u = f.internet.username().replace(/\W/g, ''); return { text: `cannot open C:\\Users\\${u}\\Documents\\report.xlsx`, secret: u } },
  'UNC path with user': (f) => { const u = f.person.lastName().replace(/\W/g, '') || f.string.alpha(6); return { text: `saved to \\\\fs01\\home\\${u}\\export.csv`, secret: u } },
  'card, spaces': (f) => { const v = f.finance.creditCardNumber({ issuer: '4###-####-####-###L' }).replace(/-/g, ' '); return { text: `card ${v} declined`, secret: v.slice(5, 14) } },
  'card, commas, pipes, wide dashes': (f) => { const sep = f.helpers.arrayElement([',', '|', '\u2013', '\u2014']); const v = f.finance.creditCardNumber({ issuer: '5###-####-####-###L' }).replace(/-/g, sep); return { text: `paid with ${v}`, secret: v.slice(5, 14) } },
  'phone, Arabic-Indic digits': (f) => { const v = inScript(`0${f.string.numeric(3)} ${f.string.numeric(7)}`, ARABIC_INDIC); return { text: `اتصل بي ${v}`, secret: v } },
  'phone, Devanagari digits': (f) => { const v = inScript(`+91 ${f.string.numeric(5)} ${f.string.numeric(5)}`, DEVANAGARI); return { text: `फ़ोन ${v}`, secret: v.slice(4) } },
  'IBAN, Arabic-Indic digits': (f) => { const v = f.finance.iban({ formatted: true, countryCode: 'DE' }); const w = v.slice(0, 2) + inScript(v.slice(2), ARABIC_INDIC); return { text: `IBAN ${w}`, secret: w.slice(5, 14) } },
  'e-mail, spaces around @ and dots': (f) => { const u = f.person.lastName().toLowerCase().replace(/\W/g, '') || f.string.alpha(6); return { text: `write to ${u} @ ${f.internet.domainWord()} . com please`, secret: u } },
  'e-mail, at and dot spelled out': (f) => { const u = f.person.lastName().toLowerCase().replace(/\W/g, '') || f.string.alpha(6); return { text: `mail ${u} at ${f.internet.domainWord()} dot com`, secret: u } },
  'e-mail, (at)': (f) => { const u = f.person.lastName().toLowerCase().replace(/\W/g, '') || f.string.alpha(6); return { text: `Kontakt: ${u}(at)${f.internet.domainWord()}.de`, secret: u } },
}

// Ordinary product text: report names, versions, release dates, durations, counts.
const CONTROLS = [
  'The monthly_summary report took 1840 ms for 312 rows',
  'Version 4.2.1 released on 2026-11-30 fixed the export',
  'Seit Version 12.3 dauert der Export 40 Sekunden, bitte prüfen',
  'Windows 11 Pro with Node.js 20 and Chrome 120',
  'rated 4 of 5, the dashboard at 10:30 was slow',
  'ISO-9001 audit report exported to PDF, 3 pages',
  'la mise à jour 3.1 du 12 mars a cassé le tableau',
  'Raport miesięczny trwał 2 minuty po aktualizacji 5.0',
]

describe.each([
  ['server (sdk/core scrubFreeText)', (t: string) => scrubFreeText(t)],
  ['on-prem SDK (sdk/node scrubText)', (t: string) => scrubOnPrem(t, {}, 2000 as number)],
])('planted generated values, %s', (_mode, scrub) => {
  it.each(Object.entries(KINDS))('removes every %s (7 locales, seeded)', (_kind, plant) => {
    const kept: string[] = []
    for (const [locale, f] of Object.entries(LOCALES)) {
      f.seed(SEED)
      for (let i = 0; i < PER_LOCALE; i++) {
        const { text, secret } = plant(f)
        const out = scrub(text)
        if (out.includes(secret) || out.includes(secret.normalize('NFKC'))) kept.push(`${locale}: ${text} -> ${out}`)
      }
    }
    expect(kept).toEqual([])
  })

  it.each(CONTROLS)('keeps %j', (text) => expect(scrub(text)).toBe(text))
})
