// The person memory (src/privacy/person-memory.ts): a visitor who logs in is one person, users on
// one device are counted apart, a user keeps one hash for the period, and a full memory never splits.
import { describe, expect, it } from 'vitest'
import { createPersonMemory } from '../../../src/privacy/person-memory.ts'

const D1 = 'd1d1d1d1d1d1d1d1'
const D2 = 'd2d2d2d2d2d2d2d2'
const U = 'aaaaaaaaaaaaaaaa'
const V = 'bbbbbbbbbbbbbbbb'

describe('person memory', () => {
  it('gives a user who logs in on a device that device\'s hash, before and after the login', () => {
    const m = createPersonMemory(100)
    const before = m.anonymous(D1)
    const user = m.user(U, D1)
    expect(user).toBe(before)
    expect(m.anonymous(D1)).toBe(user)
  })

  it('counts a second user on a claimed device by their own id, and keeps the first for anonymous events', () => {
    const m = createPersonMemory(100)
    expect(m.user(U, D1)).toBe(D1)
    expect(m.user(V, D1)).toBe(V)
    expect(m.anonymous(D1)).toBe(D1)
  })

  it('keeps one hash per user for the period, on every device, and claims their other devices', () => {
    const m = createPersonMemory(100)
    const first = m.user(U, D1)
    expect(m.user(U, D2)).toBe(first)
    expect(m.user(U, undefined)).toBe(first)
    expect(m.anonymous(D2)).toBe(first)
  })

  it('counts a user with no device by their id', () => {
    const m = createPersonMemory(100)
    expect(m.user(U, undefined)).toBe(U)
    expect(m.user(U, D1)).toBe(U)
  })

  it('when full, keeps the people it holds and counts new users by their id, stably', () => {
    const m = createPersonMemory(2)
    expect(m.user(U, D1)).toBe(D1)
    expect(m.size).toBe(2)
    expect(m.user(V, D2)).toBe(V)
    expect(m.user(V, D2)).toBe(V)
    expect(m.anonymous(D2)).toBe(D2)
    expect(m.user(U, D2)).toBe(D1)
  })

  it('forgets everything when cleared', () => {
    const m = createPersonMemory(100)
    m.user(U, D1)
    m.clear()
    expect(m.size).toBe(0)
    expect(m.user(V, D1)).toBe(D1)
  })
})
