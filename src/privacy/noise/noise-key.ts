// The report noise key: 32 random bytes made at first start and kept in DATA_DIR, so the noise of
// a released number is the same across restarts (asking again, or after a restart, averages
// nothing away). It links no person; it only lets whoever holds it subtract the noise.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const NOISE_KEY_FILE = 'report-noise.key'

/**
 * Reads DATA_DIR/report-noise.key, or creates it (mode 0600, never overwritten: `wx`). The
 * reporting database role cannot read it: it is a file of the server, not a table. That role
 * reads the exact aggregates anyway; the key guards what read keys see through the API.
 * REPORT_NOISE_KEY (64 hex digits) replaces the file where several nodes serve reports.
 */
export function loadNoiseKey(dataDir: string, fromEnv?: string): Buffer {
  if (fromEnv) return Buffer.from(fromEnv, 'hex')
  mkdirSync(dataDir, { recursive: true })
  const path = join(dataDir, NOISE_KEY_FILE)
  try {
    writeFileSync(path, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'hex')
  if (key.length !== 32) throw new Error(`${path}: expected 32 bytes as 64 hex digits`)
  return key
}
