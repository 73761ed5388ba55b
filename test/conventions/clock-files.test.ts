// `npm run test:clock` runs only the files where a clock decides (scripts/test-shifted-clock.mjs,
// CLOCK_FILES). This finds them by the rule written there and fails when one is left out, so a
// new test that compares times runs shifted from the day it lands.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLOCK_FILES } from '../../scripts/test-shifted-clock.mjs'

const ROOT = join(import.meta.dirname, '..', '..')
// The layers the shifted run covers: not e2e (Chromium keeps the real clock), faults or release.
const LAYERS = ['test/conventions', 'test/unit', 'test/http', 'test/integration', 'test/sdk']

/** A time the test reads or states, and what compares times: TTLs, retention, periods, windows. */
const TIME = /Date\.now\(|new Date\(|Date\.parse\(|Date\.UTC\(|\bnow\(\)|now64\(|today\(\)|toDate\(|\bTTL\b|retention|RETENTION|salt_rotation|seedWeek|received_at|\bnow: |setSystemTime|clamp|period/
/** What meets the engine's own wall clock or the salts' periods in src (sql/0033 keeps the last hour by now64()). */
const ENGINE_CLOCK = /dedup|stored.?ids|recent_event_ids|salt|restart|replay/i
/** In a helper the test imports: a time it states or compares (not the plain `Date.now()` stamp of support/batch.ts). */
const HELPER_TIME = /now64\(|today\(\)|toDate\(|\bTTL\b|retention|RETENTION|seedWeek|received_at|\bnow: |Date\.parse\(|Date\.UTC\(|new Date\(/

/** Why a test file's outcome may depend on the date, or undefined. */
export function clockUse(path: string, text: string, read = (p: string) => readFileSync(p, 'utf8')): string | undefined {
  if (TIME.test(text)) return 'states or compares a time'
  if (ENGINE_CLOCK.test(text)) return 'meets the engine clock or salt periods'
  const helpers = [...text.matchAll(/from '(\.[^']+\.ts)'/g)]
    .map((m) => resolve(dirname(join(ROOT, path)), m[1]!))
    .filter((p) => p.startsWith(join(ROOT, 'test')) && !p.endsWith('.test.ts'))
  return helpers.some((h) => HELPER_TIME.test(read(h))) ? 'imports a helper that states or compares a time' : undefined
}

function testFiles(): string[] {
  return LAYERS.flatMap((d) =>
    readdirSync(join(ROOT, d), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => relative(ROOT, join(ROOT, d, f))),
  ).sort()
}

describe('the shifted-clock run', () => {
  it('runs every file where a clock decides', () => {
    const missing = testFiles().filter((f) => clockUse(f, readFileSync(join(ROOT, f), 'utf8')) && !CLOCK_FILES.includes(f))
    expect(missing).toEqual([])
  })

  it('lists only files that exist, and fewer than all', () => {
    const all = testFiles()
    for (const f of CLOCK_FILES) expect(all, f).toContain(f)
    expect(CLOCK_FILES.length).toBeLessThan(all.length)
  })

  it('tells a file that compares times from one that does not', () => {
    expect(clockUse('test/unit/x.test.ts', 'const day = new Date(Date.now() - 86_400_000)')).toBeDefined()
    expect(clockUse('test/unit/x.test.ts', "await s.query('SELECT count() FROM events WHERE day = today()')")).toBeDefined()
    expect(clockUse('test/unit/x.test.ts', 'const r = await post(batch(key, [event()]))')).toBeUndefined()
    expect(clockUse('test/http/x.test.ts', "import { seedDays } from '../integration/stats-seed.ts'", () => 'export function seedWeek() { return new Date() }')).toBeDefined()
  })
})
