// The run marker (src/storage/schema/run-marker.ts) on a real directory: a crash is found from a
// marker a clean stop did not remove, also from one a full disk left empty, and a start that
// failed before it repaired passes the first crash's time on to the next start.
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../../support/server.ts'
import { openRunMarker } from '../../../../src/storage/schema/run-marker.ts'

const MARKER = 'veil-running.json'
const HOUR = 3_600_000

describe('the run marker', () => {
  it('finds no crash after a clean stop, and the last sign of life after a crash', () => {
    const dir = tempDir('marker-')
    const first = openRunMarker(dir)
    expect(first.crashedAliveAt).toBeUndefined()
    first.clear()
    expect(openRunMarker(dir).crashedAliveAt).toBeUndefined()
    const aliveAt = Date.now() - 3 * HOUR
    writeFileSync(join(dir, MARKER), JSON.stringify({ pid: 1, aliveAt }))
    expect(openRunMarker(dir).crashedAliveAt).toBe(aliveAt)
  })

  it('keeps the first crash for the next start until the repair is done', () => {
    const dir = tempDir('marker-')
    const aliveAt = Date.now() - 3 * HOUR
    writeFileSync(join(dir, MARKER), JSON.stringify({ pid: 1, aliveAt }))
    // A start that found the crash and failed before repairing (a full disk): never repaired().
    expect(openRunMarker(dir).crashedAliveAt).toBe(aliveAt)
    const next = openRunMarker(dir)
    expect(next.crashedAliveAt).toBe(aliveAt)
    next.repaired()
    // That start crashed in turn: the one after it repairs from its own last sign of life.
    const after = openRunMarker(dir).crashedAliveAt!
    expect(after).toBeGreaterThan(aliveAt + 2 * HOUR)
  })

  it('takes an empty marker (a write a full disk cut short) for a crash at its modification time', () => {
    const dir = tempDir('marker-')
    const path = join(dir, MARKER)
    writeFileSync(path, '')
    const at = new Date(Date.now() - 2 * HOUR)
    utimesSync(path, at, at)
    expect(openRunMarker(dir).crashedAliveAt).toBe(at.getTime())
  })

  it('leaves the previous marker whole when a beat cannot be written', () => {
    const dir = tempDir('marker-')
    const aliveAt = Date.now() - HOUR
    writeFileSync(join(dir, MARKER), JSON.stringify({ pid: 1, aliveAt }))
    // The beat's temporary file cannot be made (as on a full disk): no throw, the old marker stays.
    mkdirSync(join(dir, `${MARKER}.tmp`))
    const m = openRunMarker(dir)
    m.repaired()
    expect(JSON.parse(readFileSync(join(dir, MARKER), 'utf8'))).toEqual({ pid: 1, aliveAt })
  })
})
