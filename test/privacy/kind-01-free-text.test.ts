// Issue 10, kind 1: free text (feedback, crash messages, props declared text) with disguised
// personal data: obfuscated and encoded e-mails, national phone formats of other countries,
// cards with odd separators, IBANs in lower case, tax ids, JWTs, API keys, URLs without a scheme,
// hostnames that embed an address. None of it may be stored, logged, kept on disk or answered.
import { expect } from 'vitest'
import { batch, event } from '../support/batch.ts'
import { definePlantedKind, usersOf } from './harness.ts'

const JWT = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJlbWFpbCI6ImJlcnRAaW5mby5vcmcifQ.Tm90QVJlYWxTaWduYXR1cmVCdXRMb25nRW5vdWdo'

const TEXTS = [
  'Please reply to bert.kowalski [at] mailhost [dot] org or lena.voss＠beispiel.de',
  'cc tom.riddle%40hogwarts.example, olga.petrova&#64;yandex.ru and ma\u200Bx.kel\u200Bler@firma.de',
  'Ruf an: 06 87 65 43 21, 090-1234-5678, 07700 900123, (415) 555-2671 or +91 98765 43210',
  'Paid with 4012.8888.8888.1881, 5555_5555_5555_4444 and 3782/822463/10005',
  'Refund to fr14 2004 1010 0505 0001 3m02 606 or gb29nwbk60161331926819, SSN 219-09-9999',
  `Token ${JWT} and keys sk_live_4eC39HqLyjWDarjtT1zdp7dc ghp_R2d2C3poBb8Luke5kyWalker0Han5oloXyZ`,
  'See intranet.acme-corp.com/hr/employees/berta on ip-172-31-44-7.eu-central-1.compute.internal, Kundennummer 7734521',
]
// A letter group that occurs nowhere else, so LZ4 keeps it literally in the part's files. Sent by
// three people, the word is published (PRIVACY.md 17): the table and file scans see it in
// published_values, the API the support_ticket plan. One word: a phrase's words are published
// too, and LZ4 would store the second of them as a reference to the first.
const CONTROL = 'Zyqvoxfjordglimpk'
const CONTROL_PHRASE = 'zyqvoxfjordglimpk'

definePlantedKind('kind 1: free text', {
  plan: { mode: 'strict', events: { support_ticket: { props: { body: { kind: 'text', max_length: 2000 }, area: { kind: 'enum', values: ['billing', 'reports'] } } } } },
  async plant({ post, key }) {
    const users = usersOf('kind1-user', 3)
    const events = [
      ...users.map((user_id) => event({ name: 'feedback', user_id, props: { rating: 2, text: CONTROL, topic: 'reports' } })),
      ...TEXTS.map((text, i) => event({ name: 'feedback', user_id: users[i % 3], props: { rating: 1, text } })),
      ...TEXTS.map((message) => event({ name: 'app_crash', user_id: users[0], props: { error_type: 'TypeError', message, fatal: false } })),
      ...TEXTS.map((body) => event({ name: 'support_ticket', user_id: users[1], props: { body, area: 'billing' } })),
    ]
    const res = await post(batch(key, events))
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(events.length)
  },
  planted: {
    bracketAt: 'kowalski',
    fullWidthAt: 'lena.voss',
    percentAt: 'riddle',
    entityAt: 'petrova',
    zeroWidth: 'keller',
    frenchPhone: '87 65 43 21',
    japanesePhone: '1234-5678',
    ukPhone: '900123',
    usPhone: '555-2671',
    indianPhone: '98765 43210',
    cardDots: '8888.8888',
    cardUnderscores: '5555_5555',
    cardSlashes: '822463',
    ibanLower: '0505 0001',
    ibanCompact: '60161331926819',
    ssn: '219-09-9999',
    jwt: 'eyJlbWFpbCI6',
    stripeKey: 'sk_live_4eC39',
    githubToken: 'R2d2C3po',
    hostNoScheme: 'acme-corp',
    hostWithAddress: '172-31-44-7',
    digitRun: '7734521',
  },
  control: CONTROL_PHRASE,
  apiControl: 'support_ticket',
  async stored(server) {
    const rows = await server.query<{ text: string }>("SELECT props['text'] AS text FROM events WHERE name = 'feedback' AND props['rating'] = '' ORDER BY ts")
    expect(rows.length).toBeGreaterThan(0)
    // Free text is kept as its terms (PRIVACY.md 17): lower-case words and phrases of letters, or
    // tokens; what the detectors replaced is dropped with the words beside it, no placeholder left.
    const texts = await server.query<{ t: string }>("SELECT arrayJoin([props['text'], props['message'], props['body']]) AS t FROM events WHERE t != ''")
    expect(texts.length).toBeGreaterThan(0)
    for (const { t } of texts) for (const term of t.split('|')) expect(term).toMatch(/^(~[0-9a-f]{16}|\p{Ll}+( \p{Ll}+)?)$/u)
  },
})
