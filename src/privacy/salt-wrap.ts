// Salts and keys at rest on a ClickHouse server are wrapped (PRIVACY.md 19): AES-256-GCM under a
// key from the environment (SALT_WRAP_KEY) that only ingestion nodes hold, bound to the app and
// period (or the secret's name) by the authenticated data, so a role that can read the table, or
// a backup of it, learns nothing.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

export class SaltUnwrapError extends Error {
  override name = 'SaltUnwrapError'
}

const IV_BYTES = 12
const TAG_BYTES = 16

/** SALT_WRAP_KEY as bytes: 64 hex digits or base64 of 32 bytes (config.ts checks the form). */
export function wrapKeyOf(text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64')
  if (key.length !== 32) throw new SaltUnwrapError('SALT_WRAP_KEY must be 32 bytes: 64 hex digits or base64')
  return key
}

/** True when `text` is a valid SALT_WRAP_KEY. */
export const isWrapKey = (text: string) => /^[0-9a-fA-F]{64}$/.test(text) || (/^[A-Za-z0-9+/]{43}=?$/.test(text) && Buffer.from(text, 'base64').length === 32)

const saltAad = (appId: string, period: number) => Buffer.from(`veil salt v1\u0000${appId}\u0000${period}`)
const secretAad = (name: string) => Buffer.from(`veil secret v1\u0000${name}`)

/** Bytes sealed for storage under `aad`: hex of IV, tag and ciphertext. */
function seal(key: Buffer, value: Buffer, aad: Buffer): string {
  const iv = randomBytes(IV_BYTES)
  const c = createCipheriv('aes-256-gcm', key, iv)
  c.setAAD(aad)
  const body = Buffer.concat([c.update(value), c.final()])
  return Buffer.concat([iv, c.getAuthTag(), body]).toString('hex')
}

function open(key: Buffer, wrapped: string, aad: Buffer, what: string): Buffer {
  const bytes = Buffer.from(wrapped, 'hex')
  if (bytes.length <= IV_BYTES + TAG_BYTES) throw new SaltUnwrapError(`${what} is not wrapped`)
  try {
    const d = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES))
    d.setAAD(aad)
    d.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
    return Buffer.concat([d.update(bytes.subarray(IV_BYTES + TAG_BYTES)), d.final()])
  } catch (cause) {
    throw new SaltUnwrapError(`${what} does not open with SALT_WRAP_KEY (another key, or moved)`, { cause })
  }
}

/** The salt sealed for storage, bound to its app and period. */
export const wrapSalt = (key: Buffer, salt: Buffer, appId: string, period: number) => seal(key, salt, saltAad(appId, period))

/** The salt back from its wrapped form; throws SaltUnwrapError under another key, app or period. */
export const unwrapSalt = (key: Buffer, wrapped: string, appId: string, period: number) =>
  open(key, wrapped, saltAad(appId, period), `the stored salt of period ${period} of app "${appId}"`)

/** An installation secret (the compat id key) sealed for storage, bound to its name. */
export const wrapSecret = (key: Buffer, value: Buffer, name: string) => seal(key, value, secretAad(name))

/** An installation secret back from its wrapped form; throws SaltUnwrapError otherwise. */
export const unwrapSecret = (key: Buffer, wrapped: string, name: string) => open(key, wrapped, secretAad(name), `the stored secret "${name}"`)
