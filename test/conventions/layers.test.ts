// The unit loop (`npm run test:unit`, threads without isolation) holds pure code only: a file
// there that boots the engine, listens on a socket or starts a process belongs to a forked
// layer (vitest.config.ts, test/support/layers.ts), where one process per file keeps it apart.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SDK_WITH_IO, UNIT_FORBIDDEN } from '../support/layers.ts'

const ROOT = join(import.meta.dirname, '..', '..')

function testFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => relative(ROOT, join(ROOT, dir, f)))
}

/** What a source text uses that the unit loop may not, by reason. */
export function forbiddenUses(text: string): string[] {
  return UNIT_FORBIDDEN.filter(([re]) => re.test(text)).map(([, why]) => why)
}

describe('the unit loop', () => {
  const unitFiles = ['test/unit', 'test/conventions', 'test/sdk'].flatMap(testFiles).filter((f) => !SDK_WITH_IO.includes(f))

  it('has files to check', () => {
    expect(unitFiles.length).toBeGreaterThan(50)
  })

  it('uses no engine, socket, browser or child process', () => {
    const offenders = unitFiles
      .map((f) => ({ f, uses: forbiddenUses(readFileSync(join(ROOT, f), 'utf8')) }))
      .filter((o) => o.uses.length > 0 && o.f !== 'test/conventions/layers.test.ts')
    expect(offenders).toEqual([])
  })

  it('recognises each forbidden use', () => {
    expect(forbiddenUses("import { spawn } from 'node:child_process'")).toEqual(['a socket or a child process'])
    expect(forbiddenUses('const s = await startTestServer()')).toEqual(['the engine'])
    expect(forbiddenUses("import { chromium } from 'playwright-core'")).toEqual(['a browser'])
    expect(forbiddenUses('server.listen(0)')).toEqual(['a listening socket'])
    expect(forbiddenUses("import { z } from 'zod'")).toEqual([])
  })

  it('lists only SDK files that exist and do need their own process', () => {
    for (const f of SDK_WITH_IO) expect(forbiddenUses(readFileSync(join(ROOT, f), 'utf8')), f).not.toEqual([])
  })
})
