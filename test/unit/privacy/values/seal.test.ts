// Tokens and sealed copies (PRIVACY.md 17): a keyed digest per field, a copy only the period's
// key opens, and a key that cannot be derived again once its salt is gone (crypto-shredding).
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { valuesKey } from '../../../../src/privacy/values/keys.ts'
import { isToken, open, seal, tokenOf } from '../../../../src/privacy/values/seal.ts'

const salt = randomBytes(32)
const key = valuesKey(salt, 'app-a', 100)

describe('values keys, tokens and sealed copies', () => {
  it('derives one key per app and period from the salt', () => {
    expect(valuesKey(salt, 'app-a', 100).equals(key)).toBe(true)
    expect(valuesKey(salt, 'app-a', 101).equals(key)).toBe(false)
    expect(valuesKey(salt, 'app-b', 100).equals(key)).toBe(false)
  })

  it('makes tokens of `~` and 16 hex digits, distinct per field', () => {
    const t = tokenOf(key, 'login:method', 'sso')
    expect(isToken(t)).toBe(true)
    expect(tokenOf(key, 'login:method', 'sso')).toBe(t)
    expect(tokenOf(key, 'logout:reason', 'sso')).not.toBe(t)
    expect(isToken('~0123456789abcdeg')).toBe(false)
  })

  it('opens a sealed copy with its key, field and token only', () => {
    const t = tokenOf(key, 'f', 'Jane Doe')
    const s = seal(key, 'f', t, 'Jane Doe')
    expect(Buffer.from(s, 'base64').includes(Buffer.from('Jane'))).toBe(false)
    expect(open(key, 'f', t, s)).toBe('Jane Doe')
    expect(open(key, 'g', t, s)).toBeUndefined()
    expect(open(valuesKey(salt, 'app-a', 101), 'f', t, s)).toBeUndefined()
  })

  it('cannot open a copy once the salt is gone: a new salt of the same period derives another key', () => {
    const t = tokenOf(key, 'f', 'Jane Doe')
    const s = seal(key, 'f', t, 'Jane Doe')
    const after = valuesKey(randomBytes(32), 'app-a', 100)
    expect(open(after, 'f', t, s)).toBeUndefined()
    expect(tokenOf(after, 'f', 'Jane Doe')).not.toBe(t)
  })
})
