// Wrapping salts for a ClickHouse server (PRIVACY.md 19): AES-256-GCM under SALT_WRAP_KEY, bound
// to app and period; the key's two written forms; a server store refused without the key; and
// the memory store's period ids, which name one salt each and only grow.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isWrapKey, SaltUnwrapError, unwrapSalt, wrapKeyOf, wrapSalt } from '../../../src/privacy/salt-wrap.ts'
import { openSaltStore } from '../../../src/privacy/open-salts.ts'
import { createMemorySaltStore, orgKeyOf } from '../../../src/privacy/salts.ts'
import { ConfigError, loadConfig } from '../../../src/config.ts'
import type { ClickHouseClient } from '@clickhouse/client'

const HOUR = 3600_000

describe('wrapped salts', () => {
  it('open with the key, app and period they were wrapped for, and with nothing else', () => {
    const key = randomBytes(32)
    const salt = randomBytes(32)
    const w = wrapSalt(key, salt, 'shop', 1_800_000_000)
    expect(w).not.toContain(salt.toString('hex'))
    expect(wrapSalt(key, salt, 'shop', 1_800_000_000)).not.toBe(w) // a fresh IV each time
    expect(unwrapSalt(key, w, 'shop', 1_800_000_000).equals(salt)).toBe(true)
    expect(() => unwrapSalt(randomBytes(32), w, 'shop', 1_800_000_000)).toThrow(SaltUnwrapError)
    expect(() => unwrapSalt(key, w, 'blog', 1_800_000_000)).toThrow(SaltUnwrapError)
    expect(() => unwrapSalt(key, w.slice(0, 40), 'shop', 1_800_000_000)).toThrow(SaltUnwrapError)
  })

  it('take SALT_WRAP_KEY as 64 hex digits or base64 of 32 bytes, and refuse other lengths', () => {
    const bytes = randomBytes(32)
    expect(wrapKeyOf(bytes.toString('hex')).equals(bytes)).toBe(true)
    expect(wrapKeyOf(bytes.toString('base64')).equals(bytes)).toBe(true)
    expect(isWrapKey(randomBytes(16).toString('hex'))).toBe(false)
    expect(isWrapKey('not a key')).toBe(false)
    expect(() => loadConfig({ SALT_WRAP_KEY: randomBytes(16).toString('hex') })).toThrow(/SALT_WRAP_KEY/)
    expect(loadConfig({ SALT_WRAP_KEY: bytes.toString('hex') }).SALT_WRAP_KEY).toBe(bytes.toString('hex'))
  })

  it('are required with a ClickHouse server: a start without SALT_WRAP_KEY is refused before any query', async () => {
    const config = loadConfig({ CLICKHOUSE_URL: 'http://127.0.0.1:9' })
    const client = {} as ClickHouseClient // never called: the refusal comes first
    await expect(openSaltStore(config, { kind: 'server', client }, Date.now)).rejects.toThrow(ConfigError)
  })
})

describe('the memory store', () => {
  it('names each salt by the second it starts: a start mid-slot, then slot boundaries, ids only growing', async () => {
    const slot = Math.floor(Date.now() / HOUR) * HOUR
    let clock = slot + 20 * 60_000
    const store = createMemorySaltStore(() => clock)
    const first = await store.current('shop', 1)
    expect(first.period).toBe((slot + 20 * 60_000) / 1000)
    expect(first.retiresAt).toBe(slot + HOUR)
    expect(first.orgKey.equals(orgKeyOf(first.salt, 'shop', first.period))).toBe(true)
    clock = slot + HOUR
    const second = await store.current('shop', 1)
    expect(second.period).toBe((slot + HOUR) / 1000)
    expect(second.salt.equals(first.salt)).toBe(false)
    // A later start under the same clock, with ids stored up to the second's: a new, larger id.
    const restarted = await createMemorySaltStore(() => clock, second.period).current('shop', 1)
    expect(restarted.period).toBe(second.period + 1)
    expect(restarted.retiresAt).toBe(slot + 2 * HOUR)
  })

  it('keeps the compat id key in memory: the same within a start, another after one', async () => {
    const store = createMemorySaltStore()
    expect((await store.compatKey()).equals(await store.compatKey())).toBe(true)
    expect(await store.compatKey()).toHaveLength(32)
    expect((await createMemorySaltStore().compatKey()).equals(await store.compatKey())).toBe(false)
  })
})
