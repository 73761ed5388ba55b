// CPU cost of the privacy rules that run per value: free-text scrubbing (props declared `text`
// only), path normalisation and the precompiled plan check, in microseconds per call.
//
// Then the cost per character of scrubbing 2,000-character texts, ordinary and adversarial
// (digit runs, separators, long words, repeated `@`, spelled-out separators, mixed scripts):
// CPU time of this thread (process.cpuUsage), the least of five rounds, so that other processes
// on a shared machine do not count.
//
//   npx tsx bench/free-text.ts [--iterations 20000]
import { parseArgs } from 'node:util'
import { normaliseText, scrubFreeText } from '../sdk/core/free-text.ts'
import { normalisePath } from '../sdk/core/normalise-path.ts'
import { compilePlan } from '../src/plan/compile-plan.ts'
import { resolvePlan } from '../src/plan/plan-schema.ts'

const { values: args } = parseArgs({ options: { iterations: { type: 'string', default: '20000' } } })
const n = Number(args.iterations)

function time(what: string, runs: number, f: (i: number) => unknown): void {
  for (let i = 0; i < Math.min(runs, 2000); i++) f(i)
  const start = process.hrtime.bigint()
  for (let i = 0; i < runs; i++) f(i)
  const us = Number(process.hrtime.bigint() - start) / runs / 1000
  console.log(`${what.padEnd(44)} ${us.toFixed(2).padStart(9)} us`)
}

const prose = 'The monthly export was slow again today; it took about 40 seconds for 312 rows. Please have a look!'
const personal = 'Call me on 0171 2345678 or write to jane [at] example [dot] com; IBAN DE89 3704 0044 0532 0130 00.'
const plan = compilePlan(resolvePlan(undefined))

time('scrubFreeText, 100 chars of prose', n, () => scrubFreeText(prose))
time('scrubFreeText, 100 chars with phone/e-mail/IBAN', n / 4, () => scrubFreeText(personal))
time('scrubFreeText, 2,000 chars of prose', n / 20, () => scrubFreeText(prose.repeat(20)))
time('scrubFreeText, 2,000 chars, personal data', n / 20, () => scrubFreeText(personal.repeat(20)))
time('normalisePath, id segment', n, (i) => normalisePath(`/reports/${1000 + (i % 97)}/view`))
time('normalisePath, encoded e-mail segment', n, (i) => normalisePath(`/users/jane${i % 97}%2540example.com/edit`))
time('plan check, report_query (4 props)', n, () => plan.apply('report_query', { report: 'monthly_alarms', duration_ms: 1840, rows: 312, status: 'ok' }))
time('plan check, page_view (2 path props)', n, () => plan.apply('page_view', { path: '/reports/1000/view', referrer_path: '/dashboard' }))

const fill = (unit: string, n = 2000) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n)
const AVERAGE: Record<string, string> = {
  prose: fill(prose + ' '),
  'prose with personal data': fill(personal + ' '),
  'feedback, German': fill('Der Export der Monatsübersicht dauert seit Version 4.2 über eine Minute, bitte prüfen. '),
}
const ADVERSARIAL: Record<string, string> = {
  'digit run': fill('1'),
  'phone-like groups': fill('0171 2345678 '),
  'digits and spaces': fill('1 '),
  'digit pairs': fill('12 '),
  'digits and dashes': fill('1-'),
  'digits and dots': fill('1.'),
  'digits and slashes': fill('1/'),
  'digits, mixed separators': fill('1 2-3.4/5,6|7\u20138 '),
  'card-like runs': fill('4111 1111 1111 '),
  'IBAN-like groups': fill('DE89 '),
  'tax-like pairs': fill('12 34 56 '),
  'long word': fill('a'),
  'letters and digits': fill('a1'),
  'hex': fill('ab12'),
  'repeated @': fill('@'),
  'words and @': fill('a@'),
  'dotted words then @': fill('a.') + '@',
  'spelled dot then at': fill('a dot ') + ' at b',
  'underscore dot': fill('a_dot_') + '@x',
  'spelled at and dot': fill('a at b dot '),
  'bracketed at and dot': fill('a [at] b [dot] '),
  'dotted labels': fill('a.'),
  'dashed labels': fill('a-a.'),
  'colons': fill('a1:'),
  'key=value pairs': fill('k=v1x2y3 '),
  'backslashes': fill('\\'),
  'capitalised words': fill('Aaaaaa '),
  'street words': fill('12 Rue '),
  'mixed scripts': fill('Ab١٢٣ डे 4 '),
  'U+FDFA (NFKC x18)': fill('\uFDFA', 2000 / 18),
  'spaces': fill(' '),
}

function nsPerChar(text: string): number {
  for (let i = 0; i < 20; i++) scrubFreeText(text)
  let best = Infinity
  for (let round = 0; round < 5; round++) {
    let runs = 0
    const start = process.cpuUsage()
    let used = 0
    while (used < 60_000 || runs < 5) {
      scrubFreeText(text)
      runs++
      const d = process.cpuUsage(start)
      used = d.user + d.system
    }
    // Per character of the normalised text: limits apply to that form (NFKC makes U+FDFA 18).
    best = Math.min(best, (used * 1000) / runs / Math.max(text.length, normaliseText(text).length))
  }
  return best
}

console.log('\nscrubFreeText, ns per character of the normalised text (CPU time, least of 5 rounds)')
let average = 0
for (const [what, text] of Object.entries(AVERAGE)) {
  const ns = nsPerChar(text)
  average = Math.max(average, ns)
  console.log(`  average     ${what.padEnd(28)} ${ns.toFixed(0).padStart(6)} ns/char`)
}
let worst = 0
let worstWhat = ''
for (const [what, text] of Object.entries(ADVERSARIAL)) {
  const ns = nsPerChar(text)
  if (ns > worst) [worst, worstWhat] = [ns, what]
  console.log(`  adversarial ${what.padEnd(28)} ${ns.toFixed(0).padStart(6)} ns/char`)
}
console.log(`worst case ${worstWhat}: ${worst.toFixed(0)} ns/char, ${(worst / average).toFixed(1)} x the dearest average text`)
