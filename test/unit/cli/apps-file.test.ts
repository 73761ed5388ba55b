// `veil apps set` is generic over the app schema: its settings are read from the zod schema of
// src/apps/apps.ts, typed from it, and the file is validated by it before it is replaced.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { appSchema } from '../../../src/apps/apps.ts'
import { appSettings, parseSettingValue, readAppsJson, writeAppsJson } from '../../../src/cli/apps-file.ts'

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

describe('appSettings', () => {
  it('lists every scalar field of the app schema with its kind, and no id or key list', () => {
    const settings = appSettings()
    expect(settings.get('k_anonymity')).toEqual({ kind: 'number', optional: false })
    expect(settings.get('honor_gpc')).toEqual({ kind: 'boolean', optional: false })
    expect(settings.get('rate_limit_rps')).toEqual({ kind: 'number', optional: true })
    expect(settings.get('name')).toEqual({ kind: 'string', optional: true })
    for (const notSetting of ['id', 'write_keys', 'read_keys']) expect(settings.has(notSetting)).toBe(false)
    // Every field of the schema is either a setting or one of the structural ones.
    const structural = [...Object.keys(appSchema.shape)].filter((k) => !settings.has(k))
    expect(structural).toEqual(expect.arrayContaining(['id', 'write_keys', 'read_keys']))
  })
})

describe('parseSettingValue', () => {
  it('types values from the command line and refuses what does not fit', () => {
    expect(parseSettingValue('number', '12')).toBe(12)
    expect(parseSettingValue('boolean', 'off')).toBe(false)
    expect(parseSettingValue('boolean', 'TRUE')).toBe(true)
    expect(parseSettingValue('string', '12')).toBe('12')
    expect(() => parseSettingValue('number', 'ten')).toThrow(/"ten" is not a number/)
    expect(() => parseSettingValue('number', '')).toThrow(/not a number/)
    expect(() => parseSettingValue('boolean', 'maybe')).toThrow(/not a boolean/)
  })
})

describe('writeAppsJson', () => {
  it('refuses a file the server would refuse, leaving the old one in place', () => {
    dir = mkdtempSync(join(tmpdir(), 'veil-apps-file-'))
    const path = join(dir, 'apps.json')
    const good = { apps: [{ id: 'shop', write_keys: ['wk_12345678'] }] }
    writeFileSync(path, JSON.stringify(good))
    const file = readAppsJson(path)
    file.apps.push({ id: 'other', write_keys: ['wk_12345678'] })
    expect(() => writeAppsJson(path, file)).toThrow(/not saved: write key of app "other" is also used/)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(good)
  })

  it('says what is wrong with a file that is not an apps file', () => {
    const d = (dir = mkdtempSync(join(tmpdir(), 'veil-apps-file-')))
    const path = join(d, 'apps.json')
    writeFileSync(path, '{"nope": 1}')
    expect(() => readAppsJson(path)).toThrow(/has no "apps" list/)
    expect(() => readAppsJson(join(d, 'missing.json'))).toThrow(/no apps file at .*veil apps add/)
  })
})
