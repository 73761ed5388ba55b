// Identifier hashing inside the application (PRIVACY.md 11): HMAC-SHA256 under a random salt made
// on first start and kept in `<queueDir>/salt`. The salt never leaves the machine, so the hashes
// it yields cannot be linked back to a person by anyone outside the plant. `<queueDir>/installation`
// holds the installation id, the user of record when no one is logged in (issue 11).
import { createHmac, randomBytes, randomUUID } from 'node:crypto'
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

/**
 * A random id made once per queue directory, i.e. per installation; it leaves only as an HMAC
 * under the local salt, which the server hashes again under its rotating salt.
 */
export function loadInstallationId(queueDir: string): string {
  const file = join(queueDir, 'installation')
  const valid = (s: string) => /^[0-9a-f-]{36}$/.test(s)
  try {
    const id = readFileSync(file, 'utf8').trim()
    if (valid(id)) return id
  } catch {}
  const id = randomUUID()
  try {
    writeFileSync(file, id, { mode: 0o600, flag: 'wx' })
    return id
  } catch {
    const other = readFileSync(file, 'utf8').trim()
    if (valid(other)) return other
    // A damaged file: replaced, once.
    writeFileSync(file, id, { mode: 0o600 })
    return id
  }
}

/** Keyed hashes per kind, so the same string as user and as org does not give the same value. */
export function createIdHasher(salt: Buffer): HashId {
  return (kind, id) => createHmac('sha256', salt).update(`${kind}:${id}`).digest('hex')
}
