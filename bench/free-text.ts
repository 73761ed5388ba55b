// CPU cost of the privacy rules that run per value: free-text scrubbing (props declared `text`
// only), path normalisation and the precompiled plan check, in microseconds per call.
//
//   npx tsx bench/free-text.ts [--iterations 20000]
import { parseArgs } from 'node:util'
import { scrubFreeText } from '../sdk/core/free-text.ts'
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
