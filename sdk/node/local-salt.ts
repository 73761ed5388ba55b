// Identifier hashing inside the application (PRIVACY.md 11): HMAC-SHA256 under a random salt made
// on first start and kept in `<queueDir>/salt`. The salt never leaves the machine, so the hashes
// it yields cannot be linked back to a person by anyone outside the plant.
import { createHmac, randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export type HashId = (kind: 'user' | 'session' | 'org', id: string) => string

export function loadLocalSalt(queueDir: string): Buffer {
  const file = join(queueDir, 'salt')
  try {
    const salt = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex')
    if (salt.length === 32) return salt
  } catch {}
  const salt = randomBytes(32)
  // wx: when two starts race, the second one fails here and reads the first one's salt.
  try {
    writeFileSync(file, salt.toString('hex'), { mode: 0o600, flag: 'wx' })
    return salt
  } catch {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex')
  }
}

/** Keyed hashes per kind, so the same string as user and as org does not give the same value. */
export function createIdHasher(salt: Buffer): HashId {
  return (kind, id) => createHmac('sha256', salt).update(`${kind}:${id}`).digest('hex')
}
