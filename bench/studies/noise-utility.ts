// What do the released report counts cost in accuracy (src/query/release.ts)? For cells of 5, 20,
// 50 and 500 people, the 90 % error of people and events of one atom and of a 30-day range (a sum
// of 30 daily atoms), and how often the noisy k decision shows the cell. Answers docs/reports.md
// "Utility". Flags: --draws N (default 20000), --k K (default 5), --events-per-person E (default 3).
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { noiseFor } from '../../src/privacy/noise/discrete-laplace.ts'
import { EPSILON_EVENTS, EPSILON_USERS, EVENTS_PER_PERSON, GATE_MARGIN } from '../../src/query/release.ts'

const { values } = parseArgs({ options: { draws: { type: 'string', default: '20000' }, k: { type: 'string', default: '5' }, 'events-per-person': { type: 'string', default: '3' } } })
const draws = Number(values.draws)
const k = Number(values.k)
const perPerson = Number(values['events-per-person'])
const key = randomBytes(32)

/** The 90th percentile of |x|. */
const p90 = (xs: number[]) => xs.map(Math.abs).sort((a, b) => a - b)[Math.floor(0.9 * xs.length)]!
const pct = (v: number, of: number) => `${((100 * v) / of).toFixed(1)} %`

console.log(`k = ${k}, ${perPerson} events per person, ${draws} draws per figure; epsilon ${EPSILON_USERS.num}/${EPSILON_USERS.den} (people), ${EPSILON_EVENTS.num}/${EPSILON_EVENTS.den} for ${EVENTS_PER_PERSON} events (events)`)
console.log('| people in the cell | shown (noisy k) | people, 90 % error | events, 90 % error | people over 30 days, 90 % error | events over 30 days, 90 % error |')
console.log('|---|---|---|---|---|---|')
for (const people of [5, 20, 50, 500]) {
  const events = people * perPerson
  const u: number[] = []
  const e: number[] = []
  const u30: number[] = []
  const e30: number[] = []
  let shown = 0
  for (let i = 0; i < draws; i++) {
    const zu = noiseFor(key, `u${people}/${i}`, 1, EPSILON_USERS)
    u.push(zu)
    e.push(noiseFor(key, `e${people}/${i}`, EVENTS_PER_PERSON, EPSILON_EVENTS))
    if (people >= k && people + zu >= k + GATE_MARGIN) shown++
  }
  for (let i = 0; i < Math.floor(draws / 30); i++) {
    let su = 0
    let se = 0
    for (let d = 0; d < 30; d++) {
      su += noiseFor(key, `U${people}/${i}/${d}`, 1, EPSILON_USERS)
      se += noiseFor(key, `E${people}/${i}/${d}`, EVENTS_PER_PERSON, EPSILON_EVENTS)
    }
    u30.push(su)
    e30.push(se)
  }
  const row = [people, pct(shown, draws), `±${p90(u)} (${pct(p90(u), people)})`, `±${p90(e)} (${pct(p90(e), events)})`, `±${p90(u30)} (${pct(p90(u30), 30 * people)})`, `±${p90(e30)} (${pct(p90(e30), 30 * events)})`]
  console.log(`| ${row.join(' | ')} |`)
}
