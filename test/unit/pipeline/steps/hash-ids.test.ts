// hash_ids (PRIVACY.md 4): user and session ids become HMACs under the app's salt of the period,
// org ids under the stable org key; no raw id remains in what the step returns.
import { describe, expect, it } from 'vitest'
import { createHmac } from 'node:crypto'
import { createHashIdsStep, createIdHasher, deviceKey, hmacHex } from '../../../../src/pipeline/steps/hash-ids.ts'
import { batchFacts, parsedEvent, saltedKeys } from '../fixtures.ts'
import type { BatchFacts } from '../../../../src/pipeline/types.ts'
import type { SaltedKeys } from '../../../../src/pipeline/steps/hash-ids.ts'

const RAW = { user_id: 'anna.schmidt@example.com', session_id: 's-9c2f-4711', org_id: 'customer-77' }
const newStep = () => createHashIdsStep(createIdHasher(1000))
/** The step's context: the request's keys, and a browser batch unless said otherwise. */
const ctxOf = (keys: SaltedKeys, batch: BatchFacts = batchFacts()) => ({ keys, batch })

describe('hmacHex', () => {
  it('gives 16 hex characters that depend on the key', () => {
    const a = hmacHex(Buffer.alloc(32, 1), 'u\u0000x')
    expect(a).toMatch(/^[0-9a-f]{16}$/)
    expect(hmacHex(Buffer.alloc(32, 2), 'u\u0000x')).not.toBe(a)
  })

  it('is the first 16 hex digits of HMAC-SHA256, so hashes already stored keep matching', () => {
    for (let i = 0; i < 500; i++) {
      const key = Buffer.from(Array.from({ length: 32 }, (_, j) => (i * 31 + j * 7) & 255))
      const value = `u\u0000${'ü€'.slice(0, i % 3)}user-${i}@example.com`
      expect(hmacHex(key, value)).toBe(createHmac('sha256', key).update(value).digest('hex').slice(0, 16))
    }
  })
})

describe('hash_ids step', () => {
  it('hashes the same user alike within one salt period', () => {
    const step = newStep()
    const keys = saltedKeys()
    const a = step(parsedEvent({ ...RAW, id: '00000000-0000-4000-8000-000000000001' }), ctxOf(keys))
    const b = step(parsedEvent({ ...RAW, id: '00000000-0000-4000-8000-000000000002' }), ctxOf(keys))
    expect(a.user_hash).toBe(b.user_hash)
    expect(a.session_hash).toBe(b.session_hash)
    expect(a.user_hash).toMatch(/^[0-9a-f]{16}$/)
  })

  it('hashes the same user differently in the next period, under its new salt', () => {
    const step = newStep()
    const today = step(parsedEvent(RAW), ctxOf(saltedKeys({ period: 100, salt: Buffer.alloc(32, 1) })))
    const tomorrow = step(parsedEvent(RAW), ctxOf(saltedKeys({ period: 101, salt: Buffer.alloc(32, 2) })))
    expect(tomorrow.user_hash).not.toBe(today.user_hash)
    expect(tomorrow.salt_period).toBe(101)
    expect(today.salt_period).toBe(100)
  })

  it('hashes the same user differently in two apps', () => {
    const step = newStep()
    const a = step(parsedEvent(RAW), ctxOf(saltedKeys({ appId: 'app-a', salt: Buffer.alloc(32, 1) })))
    const b = step(parsedEvent(RAW), ctxOf(saltedKeys({ appId: 'app-b', salt: Buffer.alloc(32, 3) })))
    expect(b.user_hash).not.toBe(a.user_hash)
  })

  it('does not answer from its cache for another salt of the same app and period', () => {
    const step = newStep()
    const first = step(parsedEvent(RAW), ctxOf(saltedKeys({ generation: 1, salt: Buffer.alloc(32, 1) })))
    const reloaded = step(parsedEvent(RAW), ctxOf(saltedKeys({ generation: 2, salt: Buffer.alloc(32, 5) })))
    expect(reloaded.user_hash).not.toBe(first.user_hash)
  })

  it('gives different hashes under different salts', () => {
    const a = newStep()(parsedEvent(RAW), ctxOf(saltedKeys({ salt: Buffer.alloc(32, 1) })))
    const b = newStep()(parsedEvent(RAW), ctxOf(saltedKeys({ salt: Buffer.alloc(32, 2) })))
    expect(b.user_hash).not.toBe(a.user_hash)
    expect(b.session_hash).not.toBe(a.session_hash)
  })

  it('hashes a user id and an equal session id differently', () => {
    const out = newStep()(parsedEvent({ user_id: 'same', session_id: 'same' }), ctxOf(saltedKeys()))
    expect(out.user_hash).not.toBe(out.session_hash)
  })

  it('keeps the org hash stable across periods and salts (pseudonymous by design)', () => {
    // Two steps, so that the second hash is computed, not read from the first one's cache.
    const a = newStep()(parsedEvent(RAW), ctxOf(saltedKeys({ period: 100, salt: Buffer.alloc(32, 1) })))
    const b = newStep()(parsedEvent(RAW), ctxOf(saltedKeys({ period: 200, salt: Buffer.alloc(32, 2), generation: 7 })))
    expect(a.org_hash).toMatch(/^[0-9a-f]{16}$/)
    expect(b.org_hash).toBe(a.org_hash)
  })

  it('keys the org hash with the org key', () => {
    const a = newStep()(parsedEvent(RAW), ctxOf(saltedKeys({ orgKey: Buffer.alloc(32, 9) })))
    const b = newStep()(parsedEvent(RAW), ctxOf(saltedKeys({ orgKey: Buffer.alloc(32, 8) })))
    expect(b.org_hash).not.toBe(a.org_hash)
  })

  it('leaves no raw identifier in the result', () => {
    const out = newStep()(parsedEvent(RAW), ctxOf(saltedKeys()))
    const json = JSON.stringify(out)
    for (const raw of Object.values(RAW)) expect(json).not.toContain(raw)
    expect(out).not.toHaveProperty('user_id')
    expect(out).not.toHaveProperty('session_id')
    expect(out).not.toHaveProperty('org_id')
  })

  it('gives an empty hash for an absent or empty id', () => {
    const step = newStep()
    const absent = step(parsedEvent({}), ctxOf(saltedKeys()))
    expect([absent.user_hash, absent.session_hash, absent.org_hash]).toEqual(['', '', ''])
    const empty = step(parsedEvent({ user_id: '', session_id: '', org_id: '' }), ctxOf(saltedKeys()))
    expect([empty.user_hash, empty.session_hash, empty.org_hash]).toEqual(['', '', ''])
  })

  it('marks a user_id as the user of record', () => {
    expect(newStep()(parsedEvent(RAW), ctxOf(saltedKeys())).user_kind).toBe('user')
  })

  it('counts a session without a user_id and without a device key as a visitor by its session hash', () => {
    const out = newStep()(parsedEvent({ session_id: 'tab-4711' }), ctxOf(saltedKeys()))
    expect(out.user_hash).toMatch(/^[0-9a-f]{16}$/)
    expect(out.user_hash).toBe(out.session_hash)
    expect(out.user_kind).toBe('visitor')
    expect(JSON.stringify(out)).not.toContain('tab-4711')
  })

  it('counts an on-prem session without a user_id as an installation', () => {
    const out = newStep()(parsedEvent({ session_id: 'install-hash' }), ctxOf(saltedKeys(), batchFacts({ deployment: 'onprem' })))
    expect([out.user_hash === out.session_hash, out.user_kind]).toEqual([true, 'installation'])
  })

  it('gives a visitor another user hash in the next salt period, so it cannot be followed across periods', () => {
    const step = newStep()
    const today = step(parsedEvent({ session_id: 'tab-4711' }), ctxOf(saltedKeys({ period: 100, salt: Buffer.alloc(32, 1) })))
    const tomorrow = step(parsedEvent({ session_id: 'tab-4711' }), ctxOf(saltedKeys({ period: 101, salt: Buffer.alloc(32, 2) })))
    expect(tomorrow.user_hash).not.toBe(today.user_hash)
  })

  it('has no user of record without any id', () => {
    expect(newStep()(parsedEvent({ org_id: 'customer-77' }), ctxOf(saltedKeys())).user_kind).toBe('')
  })

  it('keeps id, name, ts and props of the event', () => {
    const e = parsedEvent({ ...RAW, name: 'report_query', props: { report: 'x', rows: 3 } })
    const out = newStep()(e, ctxOf(saltedKeys()))
    expect(out).toMatchObject({ id: e.id, name: 'report_query', ts: e.ts, props: { report: 'x', rows: 3 } })
  })
})

describe('the person of record (docs/reports.md "The unit: people")', () => {
  const D = 'd0d0d0d0d0d0d0d0'
  const withDevice = (keys: SaltedKeys, device: string | undefined, batch: BatchFacts = batchFacts()) => ({ keys, batch, req: { device } })

  it('counts five tabs of one browser on one device as one visitor, by the device', () => {
    const step = newStep()
    const keys = saltedKeys({ appId: 'unit-tabs' })
    const tabs = [1, 2, 3, 4, 5].map((i) => step(parsedEvent({ session_id: `tab-${i}` }), withDevice(keys, D)))
    expect(new Set(tabs.map((t) => t.user_hash))).toEqual(new Set([D]))
    expect(new Set(tabs.map((t) => t.session_hash)).size).toBe(5)
    expect(tabs.every((t) => t.user_kind === 'visitor')).toBe(true)
  })

  it('counts a visitor who logs in as one person: the user takes over the device\'s hash', () => {
    const step = newStep()
    const keys = saltedKeys({ appId: 'unit-login' })
    const before = step(parsedEvent({ session_id: 'tab-1' }), withDevice(keys, D))
    const login = step(parsedEvent({ ...RAW }), withDevice(keys, D))
    const after = step(parsedEvent({ session_id: 'tab-2' }), withDevice(keys, D))
    expect([login.user_hash, after.user_hash]).toEqual([before.user_hash, before.user_hash])
    expect(login.user_kind).toBe('user')
    // The same user on a server-side event of the period is the same person.
    expect(step(parsedEvent({ user_id: RAW.user_id }), ctxOf(keys)).user_hash).toBe(before.user_hash)
  })

  it('gives a tab\'s events after a login in the same request the user\'s hash, though the tab is the same', () => {
    const step = newStep()
    const keys = saltedKeys({ appId: 'unit-same-request' })
    const ctx = withDevice(keys, 'f0f0f0f0f0f0f0f0')
    const other = step(parsedEvent({ user_id: 'first@example.com' }), withDevice(keys, D))
    const before = step(parsedEvent({ session_id: 'tab-1' }), withDevice(keys, D))
    expect(before.user_hash).toBe(other.user_hash)
    // On a device nobody took yet: anonymous, then a login, then the same tab again, in one run.
    const a = step(parsedEvent({ session_id: 'tab-9' }), ctx)
    const login = step(parsedEvent({ user_id: 'second@example.com', session_id: 'tab-9' }), ctx)
    const b = step(parsedEvent({ session_id: 'tab-9' }), ctx)
    expect([a.user_hash, login.user_hash, b.user_hash]).toEqual(['f0f0f0f0f0f0f0f0', 'f0f0f0f0f0f0f0f0', 'f0f0f0f0f0f0f0f0'])
    // A later user on that device counts apart, and the device's anonymous events stay the first's.
    const third = step(parsedEvent({ user_id: 'third@example.com', session_id: 'tab-9' }), ctx)
    expect(third.user_hash).not.toBe('f0f0f0f0f0f0f0f0')
    expect(step(parsedEvent({ session_id: 'tab-9' }), ctx).user_hash).toBe('f0f0f0f0f0f0f0f0')
  })

  it('counts fifty logged-in people behind one address and one browser build as fifty', () => {
    const step = newStep()
    const keys = saltedKeys({ appId: 'unit-office' })
    const people = Array.from({ length: 50 }, (_, i) => step(parsedEvent({ user_id: `staff-${i}@example.com`, session_id: `s-${i}` }), withDevice(keys, D)))
    expect(new Set(people.map((p) => p.user_hash)).size).toBe(50)
  })

  it('keeps an on-prem installation one person per session, whatever client carried it', () => {
    const out = newStep()(parsedEvent({ session_id: 'install-1' }), withDevice(saltedKeys({ appId: 'unit-onprem' }), D, batchFacts({ deployment: 'onprem' })))
    expect([out.user_hash === out.session_hash, out.user_kind]).toEqual([true, 'installation'])
  })

  it('forgets who took over a device when the salt period changes', () => {
    const step = newStep()
    const today = saltedKeys({ appId: 'unit-forget', period: 100, generation: 1 })
    expect(step(parsedEvent(RAW), withDevice(today, D)).user_hash).toBe(D)
    const tomorrow = saltedKeys({ appId: 'unit-forget', period: 101, generation: 2, salt: Buffer.alloc(32, 3) })
    const next = step(parsedEvent(RAW), withDevice(tomorrow, 'e1e1e1e1e1e1e1e1'))
    expect(next.user_hash).toBe('e1e1e1e1e1e1e1e1')
    // A request still holding yesterday's salt: counted by the user id, never through the new memory.
    expect(step(parsedEvent({ user_id: 'late@example.com' }), withDevice(today, D)).user_hash).toBe(hmacHex(today.salt, 'u\u0000late@example.com'))
  })
})

describe('hash cache across salt periods (PRIVACY.md 15)', () => {
  it('keeps no raw id as a key and empties the app\'s cache when its period changes', async () => {
    const { inspectCaches } = await import('../../../../src/privacy/keyed-cache.ts')
    let rotations = 0
    const step = createHashIdsStep(createIdHasher(100, () => rotations++))
    const appId = 'unit-rotation-app'
    const cacheOf = () => inspectCaches().find((c) => c.name === `hash-ids:${appId}`)!
    step(parsedEvent(RAW), ctxOf(saltedKeys({ appId, period: 100, generation: 1 })))
    const first = [...cacheOf().keys]
    // One entry per event's ids (user, session and org together).
    expect(first).toHaveLength(1)
    expect(JSON.stringify(cacheOf())).not.toContain(RAW.user_id)
    step(parsedEvent({ ...RAW, user_id: 'next@example.com' }), ctxOf(saltedKeys({ appId, period: 101, generation: 2, salt: Buffer.alloc(32, 4) })))
    expect(rotations).toBe(1)
    expect(cacheOf().keys.filter((k) => first.includes(k))).toEqual([])
    // A request still holding the older salt is hashed right, and neither cached nor rotating.
    const late = step(parsedEvent(RAW), ctxOf(saltedKeys({ appId, period: 100, generation: 1 })))
    expect(late.user_hash).toBe(hmacHex(saltedKeys().salt, `u\u0000${RAW.user_id}`))
    expect(rotations).toBe(1)
    expect(cacheOf().keys).toHaveLength(1)
  })

  it('empties the cache of an app that stays idle for an hour, the shortest salt period', async () => {
    const { inspectCaches } = await import('../../../../src/privacy/keyed-cache.ts')
    const { vi } = await import('vitest')
    vi.useFakeTimers()
    try {
      let clock = 1_000_000
      const step = createHashIdsStep(createIdHasher(100, () => {}, () => clock))
      const appId = 'unit-idle-app'
      step(parsedEvent(RAW), ctxOf(saltedKeys({ appId })))
      // Emptied, or already collected once the hasher let go of it: either way, nothing left.
      const keysOf = () => inspectCaches().find((c) => c.name === `hash-ids:${appId}`)?.keys ?? []
      expect(keysOf()).toHaveLength(1)
      clock += 59 * 60_000
      vi.advanceTimersByTime(60_000)
      expect(keysOf()).toHaveLength(1)
      clock += 60_000
      vi.advanceTimersByTime(60_000)
      expect(keysOf()).toEqual([])
    } finally {
      vi.useRealTimers()
    }
  })
})


describe('device keys (put_device) in the hasher\'s cache', () => {
  const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'

  it('gives deviceKey\'s key, cached by neither the address nor the User-Agent, and empties it when the period changes', async () => {
    const { inspectCaches } = await import('../../../../src/privacy/keyed-cache.ts')
    let rotations = 0
    const hasher = createIdHasher(100, () => rotations++)
    const appId = 'unit-device-cache'
    const today = saltedKeys({ appId, period: 100, generation: 1 })
    const devicesOf = () => inspectCaches().find((c) => c.name === `devices:${appId}`)!
    const first = hasher.deviceKeyOf(today, '81.2.69.0', UA)
    expect(first).toBe(deviceKey(today, '81.2.69.0', UA))
    expect(hasher.deviceKeyOf(today, '81.2.69.0', UA)).toBe(first)
    // The prefix's length is part of the cache key: moving a character between the two parts is another device.
    expect(hasher.deviceKeyOf(today, '81.2.69.', `0${UA}`)).toBe(deviceKey(today, '81.2.69.', `0${UA}`))
    expect(hasher.deviceKeyOf(today, undefined, UA)).toBe(deviceKey(today, undefined, UA))
    expect(devicesOf().keys).toHaveLength(3)
    expect(devicesOf().values).toContain(first)
    expect(JSON.stringify(devicesOf())).not.toMatch(/81\.2|Mozilla|Chrome/)
    const tomorrow = saltedKeys({ appId, period: 101, generation: 2, salt: Buffer.alloc(32, 5) })
    const next = hasher.deviceKeyOf(tomorrow, '81.2.69.0', UA)
    expect(next).toBe(deviceKey(tomorrow, '81.2.69.0', UA))
    expect(next).not.toBe(first)
    expect(rotations).toBe(1)
    expect(devicesOf().values).toEqual([next])
    // A request still holding the older salt gets its period's key, neither cached nor rotating.
    expect(hasher.deviceKeyOf(today, '81.2.69.0', UA)).toBe(first)
    expect(devicesOf().values).toEqual([next])
    expect(rotations).toBe(1)
  })
})
