// Relay sites in the apps file (docs/relay.md): found by their key's digest only, for listed
// apps only, and a key is never both a relay's and an app's.
import { describe, expect, it } from 'vitest'
import { createAppRegistry, hashKey, parseAppsFile, randomKey, type AppConfig } from '../../../src/apps/apps.ts'

const app = (id: string): AppConfig => ({ id, write_keys: [randomKey('wk')], read_keys: [], salt_rotation_hours: 24, honor_gpc: true, k_anonymity: 5 })

describe('relay sites', () => {
  it('finds a relay by its key, stored as a digest, and by nothing else', () => {
    const key = randomKey('rl')
    const shop = app('shop')
    const r = createAppRegistry([shop], [{ id: 'plant-a', keys: [hashKey(key)], apps: ['shop'] }])
    expect(r.byRelayKey(key)?.id).toBe('plant-a')
    expect(r.byRelayKey(hashKey(key))).toBeUndefined()
    expect(r.byRelayKey(shop.write_keys[0]!)).toBeUndefined()
    expect(r.byWriteKey(key)).toBeUndefined()
  })

  it('refuses a relay naming an app the file does not have, a relay listed twice, and a key that is also an app\'s', () => {
    const shop = app('shop')
    expect(() => createAppRegistry([shop], [{ id: 'p', keys: [hashKey(randomKey('rl'))], apps: ['nope'] }])).toThrow(/not in the apps file/)
    const one = { id: 'p', keys: [hashKey(randomKey('rl'))], apps: ['shop'] }
    expect(() => createAppRegistry([shop], [one, one])).toThrow(/listed twice/)
    expect(() => createAppRegistry([shop], [{ id: 'p', keys: [hashKey(shop.write_keys[0]!)], apps: ['shop'] }])).toThrow(/also an app's key/)
  })

  it('reads relays from the apps file, none by default', () => {
    expect(parseAppsFile({ apps: [{ id: 'shop', write_keys: [randomKey('wk')] }] }).relays).toEqual([])
    expect(() => parseAppsFile({ apps: [{ id: 'shop', write_keys: [randomKey('wk')] }], relays: [{ id: 'p', keys: ['wk_notarelaykey'], apps: ['shop'] }] })).toThrow(/relay keys look like/)
  })
})
