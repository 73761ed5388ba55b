// What do the released report counts cost in accuracy (src/query/release.ts)? For cells of 5, 20,
// 50 and 500 people, how often the noisy k decision shows the cell, and the 90 % error of its
// people, its events and its events per person (a ratio of two released counts), for one atom and
// a 30-day range (a sum of 30 daily atoms). Events are clamped per person per atom
// (EVENTS_PER_PERSON), so a cell whose people send more shows fewer: the error is against the
// true count, clamp included. Answers docs/reports.md "Utility". No engine: draws of the real sampler.
// Flags: --draws N (default 20000), --k K (default 5), --events-per-person E (default 1,2,4).
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { noiseFor } from '../../src/privacy/noise/discrete-laplace.ts'
import { EPSILON_EVENTS, EPSILON_PEOPLE, EVENTS_PER_PERSON, GATE_MARGIN } from '../../src/query/release.ts'

const { values } = parseArgs({ options: { draws: { type: 'string', default: '20000' }, k: { type: 'string', default: '5' }, 'events-per-person': { type: 'string', default: '1,2,4' } } })
const draws = Number(values.draws)
const k = Number(values.k)
const key = randomBytes(32)

/** The 90th percentile of |x|. */
const p90 = (xs: number[]) => xs.map(Math.abs).sort((a, b) => a - b)[Math.floor(0.9 * xs.length)]!
const pct = (v: number, of: number) => `${((100 * v) / of).toFixed(1)} %`
const people = (id: string) => noiseFor(key, id, 1, EPSILON_PEOPLE)
const events = (id: string) => noiseFor(key, id, EVENTS_PER_PERSON, EPSILON_EVENTS)

console.log(`k = ${k}, ${draws} draws per figure; epsilon ${EPSILON_PEOPLE.num}/${EPSILON_PEOPLE.den} (people), ${EPSILON_EVENTS.num}/${EPSILON_EVENTS.den} for at most ${EVENTS_PER_PERSON} events a person (events); gate k + ${GATE_MARGIN}`)
for (const perPerson of String(values['events-per-person']).split(',').map(Number)) {
  console.log(`\n${perPerson} events per person in each atom:\n`)
  console.log('| people in the cell | shown | people, 90 % error | events, 90 % error | events per person, 90 % error | people over 30 days | events over 30 days |')
  console.log('|---|---|---|---|---|---|---|')
  for (const n of [5, 20, 50, 500]) {
    const truth = n * perPerson
    const clamped = n * Math.min(perPerson, EVENTS_PER_PERSON)
    const u: number[] = []
    const e: number[] = []
    const ratio: number[] = []
    let shown = 0
    for (let i = 0; i < draws; i++) {
      const zu = people(`u${n}/${perPerson}/${i}`)
      const released = Math.max(0, clamped + events(`e${n}/${perPerson}/${i}`))
      u.push(zu)
      e.push(released - truth)
      if (n + zu >= k + GATE_MARGIN) shown++
      if (n + zu > 0) ratio.push(released / (n + zu) - perPerson)
    }
    const u30: number[] = []
    const e30: number[] = []
    for (let i = 0; i < Math.floor(draws / 30); i++) {
      let su = 0
      let se = 0
      for (let d = 0; d < 30; d++) {
        su += people(`U${n}/${perPerson}/${i}/${d}`)
        se += Math.max(0, clamped + events(`E${n}/${perPerson}/${i}/${d}`)) - truth
      }
      u30.push(su)
      e30.push(se)
    }
    const row = [n, pct(shown, draws), `±${p90(u)} (${pct(p90(u), n)})`, `±${p90(e)} (${pct(p90(e), truth)})`, `±${p90(ratio).toFixed(2)} (${pct(p90(ratio), perPerson)})`, pct(p90(u30), 30 * n), pct(p90(e30), 30 * truth)]
    console.log(`| ${row.join(' | ')} |`)
  }
}
