// Apps and keys: the registry refuses ambiguous keys, the file is validated, and a first start
// without a file writes a demo app that only its owner can read (mode 0600).
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createAppRegistry, hashKey, loadAppsFile, parseApps, randomKey, type AppConfig } from '../../../src/apps/apps.ts'

const app = (id: string, overrides: Partial<AppConfig> = {}): AppConfig => ({
  id,
  write_keys: [`wk_${id}_write_key`],
  read_keys: [`rk_${id}_read_key`],
  salt_rotation_hours: 24,
  honor_gpc: true,
  k_anonymity: 5,
  ...overrides,
})

describe('createAppRegistry', () => {
  it('finds apps by id, write key and read key', () => {
    const a = app('a')
    const b = app('b', { read_keys: ['rk_shared_key_1', 'rk_b_read_key'] })
    const c = app('c', { read_keys: ['rk_shared_key_1'] })
    const r = createAppRegistry([a, b, c])
    expect(r.get('b')).toBe(b)
    expect(r.byWriteKey('wk_a_write_key')).toBe(a)
    expect(r.byReadKey('rk_shared_key_1')).toEqual([b, c])
    expect(r.byReadKey('rk_unknown_key')).toEqual([])
    expect(r.byWriteKey('rk_a_read_key')).toBeUndefined()
  })

  it('refuses an app id listed twice', () => {
    expect(() => createAppRegistry([app('a'), app('a', { write_keys: ['wk_other_key_1'] })])).toThrow('app "a" is listed twice')
  })

  it('refuses a write key used by two apps', () => {
    expect(() => createAppRegistry([app('a'), app('b', { write_keys: ['wk_a_write_key'] })])).toThrow(/also used by another app/)
  })

  it('refuses a key that is both a read key and a write key', () => {
    // Checked on the key strings themselves, whatever their prefix says.
    const a = app('a', { write_keys: ['wk_dual_use_key'] })
    const b = app('b', { read_keys: ['wk_dual_use_key'] })
    expect(() => createAppRegistry([a, b])).toThrow('a key cannot be both a read key and a write key')
  })
})

describe('parseApps', () => {
  it('fills in defaults', () => {
    const [a] = parseApps({ apps: [{ id: 'shop', write_keys: ['wk_12345678'] }] })
    expect(a).toEqual({ id: 'shop', write_keys: ['wk_12345678'], read_keys: [], salt_rotation_hours: 24, honor_gpc: true, k_anonymity: 5 })
  })

  it('takes a minimum of organisations per cell from 2 to 32, off unless set', () => {
    const of = (extra: Record<string, unknown>) => parseApps({ apps: [{ id: 'shop', write_keys: ['wk_12345678'], ...extra }] })[0]!
    expect(of({}).min_orgs_per_cell).toBeUndefined()
    expect(of({ min_orgs_per_cell: 3 }).min_orgs_per_cell).toBe(3)
    expect(() => of({ min_orgs_per_cell: 1 })).toThrow(/apps\.0\.min_orgs_per_cell: /)
    expect(() => of({ min_orgs_per_cell: 33 })).toThrow(/apps\.0\.min_orgs_per_cell: /)
  })

  it('refuses malformed keys and ids, naming where', () => {
    expect(() => parseApps({ apps: [{ id: 'shop', write_keys: ['rk_12345678'] }] })).toThrow(/apps\.0\.write_keys\.0: write keys look like wk_/)
    expect(() => parseApps({ apps: [{ id: 'Shop!', write_keys: ['wk_12345678'] }] })).toThrow(/apps\.0\.id: /)
    expect(() => parseApps({ apps: [] })).toThrow(/invalid apps file/)
  })

  it('takes a bot filter of browser or off, and refuses anything else with a message naming it', () => {
    const [a] = parseApps({ apps: [{ id: 's', write_keys: ['wk_12345678'], bot_filter: 'off' }] })
    expect(a!.bot_filter).toBe('off')
    expect(() => parseApps({ apps: [{ id: 's', write_keys: ['wk_12345678'], bot_filter: 'all' }] })).toThrow(/apps\.0\.bot_filter/)
  })

  it('takes trust_client_ip as a boolean, off when absent', () => {
    expect(parseApps({ apps: [{ id: 's', write_keys: ['wk_12345678'], trust_client_ip: true }] })[0]!.trust_client_ip).toBe(true)
    expect(parseApps({ apps: [{ id: 's', write_keys: ['wk_12345678'] }] })[0]!.trust_client_ip).toBeUndefined()
    expect(() => parseApps({ apps: [{ id: 's', write_keys: ['wk_12345678'], trust_client_ip: 'yes' }] })).toThrow(/trust_client_ip/)
  })

  it('refuses a k below 2 and a rotation longer than a week', () => {
    expect(() => parseApps({ apps: [{ id: 's', write_keys: ['wk_12345678'], k_anonymity: 1 }] })).toThrow(/k_anonymity/)
    expect(() => parseApps({ apps: [{ id: 's', write_keys: ['wk_12345678'], salt_rotation_hours: 169 }] })).toThrow(/salt_rotation_hours/)
  })
})

describe('randomKey', () => {
  it('makes distinct keys with their prefix that the schema accepts', () => {
    const a = randomKey('wk')
    expect(a).toMatch(/^wk_[A-Za-z0-9_-]{24}$/)
    expect(randomKey('wk')).not.toBe(a)
    expect(randomKey('rk')).toMatch(/^rk_/)
  })
})

describe('hashed read keys', () => {
  it('accepts a read key listed as its sha256 hash, and not the hash itself as a key', () => {
    const key = randomKey('rk')
    const a = app('a', { read_keys: [hashKey(key)] })
    const r = createAppRegistry([a, app('b')])
    expect(r.byReadKey(key)).toEqual([a])
    expect(r.byReadKey(hashKey(key))).toEqual([])
    expect(r.byReadKey(key.slice(0, -1))).toEqual([])
    expect(parseApps({ apps: [{ id: 'a', write_keys: ['wk_12345678'], read_keys: [hashKey(key)] }] })[0]!.read_keys).toEqual([hashKey(key)])
  })

  it('refuses a write key whose hash is listed as a read key', () => {
    const a = app('a', { read_keys: [hashKey('wk_a_write_key')] })
    expect(() => createAppRegistry([a])).toThrow(/both a read key and a write key/)
  })
})

describe('loadAppsFile', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })
  const tmp = () => (dir = mkdtempSync(join(tmpdir(), 'veil-apps-')))

  it('creates a demo app with random keys in a file of mode 0600 when there is none', () => {
    const path = join(tmp(), 'apps.json')
    const { apps, created, demoKeys } = loadAppsFile(path, { createDemo: true })
    expect(created).toBe(true)
    expect(apps).toHaveLength(1)
    expect(apps[0]!.id).toBe('demo')
    expect(apps[0]!.write_keys[0]).toMatch(/^wk_/)
    // The read key is a secret: the file holds its hash, the caller gets it once to show.
    expect(demoKeys!.read).toMatch(/^rk_/)
    expect(apps[0]!.read_keys[0]).toBe(hashKey(demoKeys!.read))
    expect(readFileSync(path, 'utf8')).not.toContain(demoKeys!.read)
    expect(createAppRegistry(apps).byReadKey(demoKeys!.read)).toEqual(apps)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const again = loadAppsFile(path)
    expect(again.created).toBe(false)
    expect(again.apps[0]!.write_keys).toEqual(apps[0]!.write_keys)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ apps: [{ id: 'demo', plan: { mode: 'strict', events: { report_export: {} } } }] })
  })

  it('refuses a missing file unless this is a first start, and writes nothing then', () => {
    const path = join(tmp(), 'apps.json')
    expect(() => loadAppsFile(path)).toThrow(`apps file ${path} is missing`)
    expect(() => loadAppsFile(path, { createDemo: false })).toThrow(/written only at the first start/)
    expect(existsSync(path)).toBe(false)
  })

  it('reads a plan from the file an app names, relative to the apps file', () => {
    const d = tmp()
    writeFileSync(join(d, 'shop-plan.json'), JSON.stringify({ events: { cart_opened: { props: { items: { kind: 'integer', min: 0, max: 1000 } } } } }))
    writeFileSync(join(d, 'apps.json'), JSON.stringify({ apps: [{ id: 'shop', write_keys: ['wk_12345678'], plan_file: 'shop-plan.json' }] }))
    const { apps } = loadAppsFile(join(d, 'apps.json'))
    expect(apps[0]!.plan).toEqual({ mode: 'strict', events: { cart_opened: { props: { items: { kind: 'integer', min: 0, max: 1000 } } } } })
  })

  it('refuses a plan file that is missing or invalid, and an app with both plan and plan_file', () => {
    const d = tmp()
    const apps = (app: object) => writeFileSync(join(d, 'apps.json'), JSON.stringify({ apps: [{ id: 'shop', write_keys: ['wk_12345678'], ...app }] }))
    apps({ plan_file: 'nope.json' })
    expect(() => loadAppsFile(join(d, 'apps.json'))).toThrow(/plan file .*nope\.json cannot be read as JSON/)
    writeFileSync(join(d, 'bad.json'), JSON.stringify({ events: { e: { props: { full_name: { kind: 'text' } } } } }))
    apps({ plan_file: 'bad.json' })
    expect(() => loadAppsFile(join(d, 'apps.json'))).toThrow(/apps\.0\.plan\.events\.e\.props\.full_name: "full_name" names a person/)
    apps({ plan_file: 'bad.json', plan: {} })
    expect(() => loadAppsFile(join(d, 'apps.json'))).toThrow(/both plan and plan_file/)
  })

  it('reads an existing file', () => {
    const path = join(tmp(), 'apps.json')
    writeFileSync(path, JSON.stringify({ apps: [{ id: 'shop', write_keys: ['wk_12345678'], honor_gpc: false }] }))
    const { apps, created } = loadAppsFile(path)
    expect(created).toBe(false)
    expect(apps[0]).toMatchObject({ id: 'shop', honor_gpc: false })
  })

  it('refuses a file that is not JSON, naming the file', () => {
    const path = join(tmp(), 'apps.json')
    writeFileSync(path, '{ apps: nope')
    expect(() => loadAppsFile(path)).toThrow(`apps file ${path} is not valid JSON`)
  })
})
