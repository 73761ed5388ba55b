// Sealing an open-ended value (PRIVACY.md 17): the stored form is a token, `~` and 16 hex digits
// of an HMAC-SHA256 under the period's values key (keys.ts); the sealed copy is the plaintext
// under AES-256-GCM with the same key, kept only until the publisher needs it (publisher.ts).
import { createCipheriv, createDecipheriv, hash, randomBytes } from 'node:crypto'

/** A sealed value as rows hold it: `~` and 16 lower-case hex digits (64 bits). */
export const TOKEN_PATTERN = /^~[0-9a-f]{16}$/
export const TOKEN_LENGTH = 17
/** The same pattern for ClickHouse's re2 (sql/0050_values.sql counts people per token with it). */
export const TOKEN_RE2 = '~[0-9a-f]{16}'

export const isToken = (s: string) => s.length === TOKEN_LENGTH && s.charCodeAt(0) === 126 && TOKEN_PATTERN.test(s)

/**
 * The token of a value within a field. The field is part of the digest, so the same word as a
 * report name and as a path segment are counted apart, and a segment is one token in every path.
 * SHA-256 over the fixed-length secret key and the input, truncated to 64 bits: a secret-prefix
 * MAC, which truncation keeps safe from length extension (the attack needs the whole state), at
 * about a third of an HMAC's cost (one-shot hash(), as keyed-cache.ts measured).
 */
export function tokenOf(key: Buffer | string, field: string, value: string): string {
  const secret = typeof key === 'string' ? key : secretOf(key)
  return '~' + hash('sha256', `${secret}${field}\u0000${value}`, 'hex').slice(0, 16)
}

/** The key as the prefix tokenOf() hashes: base64, 44 characters, computed once per key. */
export const secretOf = (key: Buffer) => key.toString('base64')

const NONCE = 12
const TAG = 16

/** nonce | tag | ciphertext, base64; the field and token are authenticated with it. */
export function seal(key: Buffer, field: string, token: string, value: string): string {
  const nonce = randomBytes(NONCE)
  const c = createCipheriv('aes-256-gcm', key, nonce)
  c.setAAD(Buffer.from(`${field}\u0000${token}`))
  const body = Buffer.concat([c.update(value, 'utf8'), c.final()])
  return Buffer.concat([nonce, c.getAuthTag(), body]).toString('base64')
}

/** The plaintext of a sealed copy, or undefined when this key cannot open it (another period's, a new salt's). */
export function open(key: Buffer, field: string, token: string, sealed: string): string | undefined {
  const raw = Buffer.from(sealed, 'base64')
  if (raw.length < NONCE + TAG) return undefined
  try {
    const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, NONCE))
    d.setAAD(Buffer.from(`${field}\u0000${token}`))
    d.setAuthTag(raw.subarray(NONCE, NONCE + TAG))
    const value = Buffer.concat([d.update(raw.subarray(NONCE + TAG)), d.final()]).toString('utf8')
    // The digest proves the plaintext is the one the token stands for, not merely one sealed with it.
    return tokenOf(key, field, value) === token ? value : undefined
  } catch {
    return undefined
  }
}
