// The spool's ledger (src/storage/spool/ledger.ts) on real files: seals read back by segment, the
// greatest acknowledged mark of the intent log, torn records skipped, and intents written in pairs
// with their mark, so the intent log's newest intent is found as before.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../../support/server.ts'
import { lastMark, openSealRing, readSeals, RECORD_BYTES, SEAL_SLOTS } from '../../../../src/storage/spool/ledger.ts'
import { openIntentRing } from '../../../../src/storage/spool/ranges-io.ts'
import { INTENT_BYTES, lastIntent } from '../../../../src/storage/spool/layout.ts'
import { nodeSpoolFs } from '../../../../src/storage/spool/spool-fs.ts'

describe('the spool ledger', () => {
  it('reads back every seal recorded, by segment, and goes on after the newest when reopened', async () => {
    const path = join(tempDir('ledger-'), 'seals')
    const ring = (await openSealRing(nodeSpoolFs, path, readSeals(path).slot))!
    expect(readFileSync(path).length).toBe(SEAL_SLOTS * RECORD_BYTES)
    await ring.record({ seq: 1, bytes: 100, rows: 3 })
    await ring.record({ seq: 2, bytes: 200, rows: 5 })
    await ring.close()
    const found = readSeals(path)
    expect([...found.seals.values()]).toEqual([{ seq: 1, bytes: 100, rows: 3 }, { seq: 2, bytes: 200, rows: 5 }])
    const again = (await openSealRing(nodeSpoolFs, path, found.slot))!
    await again.record({ seq: 3, bytes: 300, rows: 7 })
    await again.close()
    expect(readSeals(path).seals.get(3)).toEqual({ seq: 3, bytes: 300, rows: 7 })
    expect(readSeals(path).seals.size).toBe(3)
  })

  it('skips a torn seal', async () => {
    const path = join(tempDir('ledger-'), 'seals')
    const ring = (await openSealRing(nodeSpoolFs, path, readSeals(path).slot))!
    await ring.record({ seq: 4, bytes: 10, rows: 1 })
    await ring.close()
    const buf = readFileSync(path)
    buf[RECORD_BYTES * 0 + 9] = buf[RECORD_BYTES * 0 + 9]! ^ 0xff
    writeFileSync(path, buf)
    expect(readSeals(path).seals.size).toBe(0)
  })

  it('writes each intent with the acknowledged mark after it; the newest intent and the greatest mark are found', async () => {
    const path = join(tempDir('ledger-'), 'intents')
    let mark = { seq: 1, end: 52, rows: 0 }
    const ring = await openIntentRing(nodeSpoolFs, path, -1, () => mark)
    await ring.record({ seq: 1, start: 52, end: 500 })
    mark = { seq: 2, end: 900, rows: 40 }
    await ring.record({ seq: 1, start: 500, end: 800 })
    await ring.close()
    expect(lastIntent(path).intent).toEqual({ seq: 1, start: 500, end: 800 })
    expect(lastMark(path)).toEqual({ seq: 2, end: 900, rows: 40 })
    // Reopened at the newest intent's slot: the next pair does not overwrite its mark.
    const again = await openIntentRing(nodeSpoolFs, path, lastIntent(path).slot, () => ({ seq: 2, end: 950, rows: 42 }))
    await again.record({ seq: 2, start: 52, end: 950 })
    await again.close()
    const buf = readFileSync(path)
    expect(buf.length % INTENT_BYTES).toBe(0)
    expect(lastIntent(path).intent).toEqual({ seq: 2, start: 52, end: 950 })
    expect(lastMark(path)).toEqual({ seq: 2, end: 950, rows: 42 })
  })
})
