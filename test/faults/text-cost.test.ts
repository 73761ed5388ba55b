// Issue 24, item 7's test: two clients send the worst-case free text (digit runs, separators,
// spelled-out addresses: bench/free-text.ts's adversarial inputs) as fast as the server answers
// them, with an app's public write key, while a third client sends ordinary batches to the same
// real server (a child process). The third's median latency under that attack is held against its
// median under two clients sending ordinary prose of the same length, measured in the same run, so
// the check holds on a loaded machine too: at most 3 times (the issue's "a few times what an average
// request costs"), and the absolute figure is printed for the record. When scrubbing was
// quadratic (17 ms for one 2,000-character digit-heavy text), each attacker batch held the event
// loop for about a third of a second and the others' p50 went from 3 ms to 1.7 s; a linear
// scrubber costs 0.1-0.5 ms per text (bench/free-text.ts). Attackers send 10 texts a batch.
// Load-bearing and slow, so in the fault suite. Measured on the shared 2-core machine at a load
// average of 9-16: p50 17.9-31 ms under the worst case against 15.3 ms under prose (alone 4 ms);
// with a quadratic stand-in of 8.5 ms per text the p50 was 168 ms, about 11 times the prose run.
import { Agent, request } from 'node:http'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Child } from './child.ts'
import { testApp } from '../support/server.ts'
import { batch, event, CHROME_UA } from '../support/batch.ts'

const children: Child[] = []
afterAll(async () => {
  for (const c of children) await c.stop('SIGKILL')
})

const fill = (unit: string, n = 2000) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n)
/** A few of bench/free-text.ts's adversarial 2,000-character texts. */
const WORST = [fill('1 2-3.4/5,6|7\u20138 '), fill('0171 2345678 '), fill('4111 1111 1111 '), fill('12 34 56 '), fill('a [at] b [dot] '), fill('1')]

function postBatch(agent: Agent, port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/batch', method: 'POST', agent, headers: { 'Content-Type': 'text/plain', 'User-Agent': CHROME_UA } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** An ordinary feedback text of the same length: prose, no personal data. */
const PROSE = [fill('The monthly alarm report took longer than usual after the update, and the export to PDF failed once. ')]

describe('the worst-case free text from two clients', () => {
  it("costs a third client at most 3 times what two clients sending ordinary text of the same length cost", async () => {
    const victim = testApp('text-victim')
    const child = new Child({ LOG_LEVEL: 'error' })
    children.push(child)
    writeFileSync(join(child.dir, 'apps.json'), JSON.stringify({ apps: [child.app, victim] }))
    await child.start()
    const attackKey = child.app.write_keys[0]!

    /** The victim's median latency while two clients send 10-text batches of `texts`. */
    const victimP50 = async (what: string, texts: readonly string[]): Promise<number> => {
      let attacking = true
      let attackBatches = 0
      const attacker = async (n: number) => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 })
        for (let i = 0; attacking; i++) {
          const events = Array.from({ length: 10 }, (_, j) => event({ name: 'feedback', props: { text: texts[(i + j + n) % texts.length]! } }))
          const status = await postBatch(agent, child.port, JSON.stringify(batch(attackKey, events)))
          expect([202, 429, 503]).toContain(status)
          attackBatches++
        }
        agent.destroy()
      }
      const attackers = [attacker(0), attacker(1)]
      // Bounded: the attackers are under way before anything is measured.
      for (let i = 0; i < 400 && attackBatches < 4; i++) await new Promise((r) => setTimeout(r, 25))
      expect(attackBatches).toBeGreaterThanOrEqual(4)

      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      const ms: number[] = []
      for (let i = 0; i < 60; i++) {
        const body = JSON.stringify(batch(victim.write_keys[0]!, Array.from({ length: 10 }, () => event({ name: 'login', props: { method: 'sso' } }))))
        const t = performance.now()
        expect(await postBatch(agent, child.port, body)).toBe(202)
        ms.push(performance.now() - t)
      }
      attacking = false
      await Promise.all(attackers)
      agent.destroy()
      ms.sort((a, b) => a - b)
      const p50 = ms[Math.floor(ms.length / 2)]!
      console.info(`text-cost (${what}): victim p50 ${p50.toFixed(1)} ms, p90 ${ms[Math.floor(ms.length * 0.9)]!.toFixed(1)} ms; ${attackBatches} attacker batches of 10 texts`)
      return p50
    }

    const prose = await victimP50('ordinary prose', PROSE)
    const worst = await victimP50('worst case', WORST)
    // A floor of 5 ms for the prose run, so that a very quiet machine's 2-3 ms does not make a
    // few milliseconds of scheduling noise look like a multiple.
    expect(worst).toBeLessThan(3 * Math.max(prose, 5))
  }, 180_000)
})
