// The report noise key (src/privacy/noise/noise-key.ts) and its setting (src/config.ts): made once
// in DATA_DIR and kept, so the same number gets the same noise on every start; REPORT_NOISE=off
// refused in production.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadNoiseKey, NOISE_KEY_FILE } from '../../../../src/privacy/noise/noise-key.ts'
import { loadConfig } from '../../../../src/config.ts'

let dir = ''
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }))

describe('loadNoiseKey', () => {
  it('makes 32 random bytes once (mode 0600) and reads the same key on every later start', () => {
    dir = mkdtempSync(join(tmpdir(), 'veil-noise-key-'))
    const first = loadNoiseKey(dir)
    expect(first.length).toBe(32)
    expect(statSync(join(dir, NOISE_KEY_FILE)).mode & 0o777).toBe(0o600)
    expect(loadNoiseKey(dir)).toEqual(first)
    expect(readFileSync(join(dir, NOISE_KEY_FILE), 'utf8').trim()).toBe(first.toString('hex'))
  })

  it('takes REPORT_NOISE_KEY instead of the file where several nodes serve reports', () => {
    dir = mkdtempSync(join(tmpdir(), 'veil-noise-key-'))
    expect(loadNoiseKey(dir, 'ab'.repeat(32))).toEqual(Buffer.alloc(32, 0xab))
  })
})

describe('REPORT_NOISE', () => {
  it('is on by default and refused as off with NODE_ENV=production', () => {
    expect(loadConfig({}).REPORT_NOISE).toBe('on')
    expect(loadConfig({ REPORT_NOISE: 'off' }).REPORT_NOISE).toBe('off')
    expect(() => loadConfig({ REPORT_NOISE: 'off', NODE_ENV: 'production' })).toThrow(/REPORT_NOISE/)
  })
})
