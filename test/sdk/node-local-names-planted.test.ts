// Generated OS user and host names (faker, seeded: the same on every run) planted as parts of
// longer words, in any case, into event names, prop keys, values and paths of the on-prem SDK
// (PRIVACY.md 16, issue 26): none leaves, in any spelling, neither through the scrubbers nor
// through the SDK's queue files. A control word beside each name shows that the scan sees.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { faker } from '@faker-js/faker'
import { describe, expect, it } from 'vitest'
import { createNameScrubber, createPathScrubber } from '../../sdk/node/local-names.ts'
import { scrubText } from '../../sdk/node/scrub.ts'
import { createVeil } from '../../sdk/node/index.ts'

faker.seed(26)
const alnum = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '')
/** Generated machines: user names like `Kaela_Hilll76`, host names like `prickly-license-7Q2`. */
const machines = Array.from({ length: 40 }, () => {
  let user = faker.internet.username()
  while (alnum(user).length < 5) user = faker.internet.username()
  const host = `${faker.internet.domainWord()}-${faker.string.alphanumeric(3)}`
  return { user, host: faker.datatype.boolean() ? `${host}.${faker.internet.domainName()}` : host }
})

/** Every spelling a name could leave in: lower case, its words joined by _ . - space or nothing. */
function spellings(name: string): string[] {
  const words = name.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)
  return [...new Set([name.toLowerCase(), ...['_', '.', '-', ' ', ''].map((sep) => words.join(sep))])]
}
function leaks(out: string, m: { user: string; host: string }): string[] {
  const lower = out.toLowerCase()
  const short = m.host.split('.')[0]!
  return [...spellings(m.user), ...spellings(m.host), ...spellings(short)].filter((s) => lower.includes(s))
}
const ident = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '_')

describe('the on-prem SDK with generated user and host names', () => {
  it('takes them out of values as parts of longer words, in any case', () => {
    for (const m of machines) {
      const short = m.host.split('.')[0]!
      const out = scrubText(`${m.user}_weekly by ${m.user.toUpperCase()}; report-${m.host} and ${short.toUpperCase()}x; weekly`, m)
      expect({ m, out, leaks: leaks(out, m) }).toMatchObject({ leaks: [] })
      expect(out).toContain('weekly')
    }
  })

  it('takes them out of event names and prop keys, keeping their shape', () => {
    for (const m of machines) {
      const scrub = createNameScrubber(m)
      const short = m.host.split('.')[0]!
      for (const planted of [`${ident(m.user)}_weekly`, `export.${alnum(m.user)}x.done`, `report.${ident(short)}_count`, `${alnum(short)}_weekly`]) {
        const out = scrub(planted)
        expect({ planted, out, leaks: leaks(out, m) }).toMatchObject({ leaks: [] })
        expect(out).toMatch(/^[a-z0-9_.]+$/)
      }
    }
  })

  it('takes them out of paths, the segment becoming :id', () => {
    for (const m of machines) {
      const short = m.host.split('.')[0]!
      const out = createPathScrubber(m)(`/files/${m.user}_weekly/report-${short}/${alnum(m.user).toUpperCase()}WEEKLY/weekly`)
      expect({ out, leaks: leaks(out, m) }).toMatchObject({ leaks: [] })
      expect(out).toBe('/files/:id/:id/:id/weekly')
    }
  })

  it('writes none of them to its queue files, where the controls are', async () => {
    for (const m of machines.slice(0, 5)) {
      const queueDir = mkdtempSync(join(tmpdir(), 'veil-planted-'))
      try {
        const short = m.host.split('.')[0]!
        // Nothing listens there: every event stays in the queue files.
        const veil = createVeil({ endpoint: 'http://127.0.0.1:9', key: 'wk_x', queueDir, machine: m, captureCrashes: false, captureExit: false, env: {}, timeoutMs: 500 })
        veil.track(`export.${ident(m.user)}_weekly.done`, { [`${alnum(short)}_rows`]: 3, note: `${m.user}_weekly on report-${m.host}, control-kept` })
        veil.page(`/reports/${m.user}_weekly/report-${short}`)
        await veil.shutdown(100)
        const disk = readdirSync(join(queueDir, 'queue')).filter((f) => f.endsWith('.log')).map((f) => readFileSync(join(queueDir, 'queue', f), 'utf8')).join('\n')
        expect(disk).toContain('control-kept')
        expect(disk).toContain('/reports/:id/:id')
        expect({ m, leaks: leaks(disk, m) }).toMatchObject({ leaks: [] })
      } finally {
        rmSync(queueDir, { recursive: true, force: true })
      }
    }
  })
})
