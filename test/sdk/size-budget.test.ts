// The browser script's size budget (issue 3): at most 3,072 bytes after gzip -9, no dependencies.
import { beforeAll, describe, expect, it } from 'vitest'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { buildBrowserSdk } from './support/build-browser.ts'

let out: string
beforeAll(() => {
  out = buildBrowserSdk()
  return () => rmSync(out, { recursive: true, force: true })
})

describe('browser script budget', () => {
  it('is at most 3,072 bytes after gzip -9', () => {
    const gzipped = gzipSync(readFileSync(join(out, 'veil.min.js')), { level: 9 }).length
    console.log(`veil.min.js: ${gzipped} bytes gzip -9`)
    expect(gzipped).toBeLessThanOrEqual(3072)
  })

  it('is made of Veil sources only: zero runtime dependencies', () => {
    const meta = JSON.parse(readFileSync(join(out, 'veil.min.meta.json'), 'utf8')) as { inputs: Record<string, unknown> }
    const inputs = Object.keys(meta.inputs)
    expect(inputs.length).toBeGreaterThan(0)
    expect(inputs.filter((f) => !f.startsWith('sdk/'))).toEqual([])
  })

  it('leaves the event catalog out of the script; the server validates props, not the browser', () => {
    expect(readFileSync(join(out, 'veil.min.js'), 'utf8')).not.toContain('app_crash')
  })
})
