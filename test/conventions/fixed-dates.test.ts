// No test is tied to a calendar day. A clock fixed on a date passes the day it is written and
// fails once the engine's wall clock (TTLs, now()) or a retention window passes it, as the salts
// test did. Tests take dates relative to today; a fixed date that no clock ever judges (a pure
// function's input) says so with a `fixed date:` comment on its line or the line above.
// `npm run test:clock` (in .ci/run) also runs the suite with the process clock 40 days ahead.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')
const CALENDAR = [
  /Date\.UTC\(\s*\d{4}\s*,/, //                   Date.UTC(2026, 10, 22)
  /Date\.parse\(\s*['"`]\d{4}-\d{2}/, //          Date.parse('2026-11-22...')
  /new Date\(\s*['"`]\d{4}-\d{2}/, //             new Date('2026-11-22')
  /new Date\(\s*\d{4}\s*,/, //                    new Date(2026, 10, 22)
  /\b1[6-9]\d{11}\b/, //                           epoch milliseconds 2020-2033
]
const MARKER = /fixed date:/

/** Lines of a source text that fix a calendar date without saying why that is safe. */
export function fixedDates(text: string): number[] {
  const lines = text.split('\n')
  const out: number[] = []
  lines.forEach((line, i) => {
    if (!CALENDAR.some((re) => re.test(line))) return
    if (MARKER.test(line) || MARKER.test(lines[i - 1] ?? '')) return
    out.push(i + 1)
  })
  return out
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name)
    if (d.isDirectory()) return d.name === 'node_modules' ? [] : sources(p)
    return /\.(ts|mjs|js)$/.test(d.name) ? [p] : []
  })
}

describe('tests hold on any day', () => {
  it('finds the shapes of a fixed calendar date, and lets a marked one pass', () => {
    expect(fixedDates('const start = Date.UTC(2026, 10, 22, 9, 0, 0)')).toEqual([1])
    expect(fixedDates("let clock = Date.parse('2026-11-22T09:00:00Z')")).toEqual([1])
    expect(fixedDates("const d = new Date('2026-11-22')")).toEqual([1])
    expect(fixedDates('const t = 1763798400123')).toEqual([1])
    expect(fixedDates("// fixed date: a pure function's input\nconst t = Date.parse('2025-01-01')")).toEqual([])
    expect(fixedDates('const start = Date.now() - 3 * DAY')).toEqual([])
  })

  it('no test file fixes a calendar date without saying why no clock judges it', () => {
    const self = import.meta.filename // its own samples are the detector's test data
    const found = sources(join(ROOT, 'test')).filter((f) => f !== self).flatMap((f) =>
      fixedDates(readFileSync(f, 'utf8')).map((line) => `${relative(ROOT, f)}:${line}`),
    )
    expect(found).toEqual([])
  })
})

describe.runIf(process.env.VEIL_TEST_CLOCK_SHIFT_DAYS)('the shifted-clock run', () => {
  it('really moves Date ahead of the monotonic clock by the days asked for', () => {
    const days = Number(process.env.VEIL_TEST_CLOCK_SHIFT_DAYS)
    const real = performance.timeOrigin + performance.now()
    expect(Math.round((Date.now() - real) / 86_400_000)).toBe(days)
    expect(Math.round((new Date().getTime() - real) / 86_400_000)).toBe(days)
  })
})
