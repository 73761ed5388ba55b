// A spool an earlier version left (JSON frames, VSP2) is fed after an upgrade, next to the
// RowBinary frames the upgraded server writes, each row once, aggregates agreeing (real chDB).
import { describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { openSpool } from '../../src/storage/spool/spool.ts'
import { encodeRows } from '../../src/storage/rows/rows-format.ts'
import { readFrames, listSegments, segmentName } from '../../src/storage/spool/layout.ts'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expectNoLossNoDuplicateAggregatesAgree, idsOf, rows } from '../faults/support.ts'

describe('a spool after an upgrade', () => {
  it('feeds the JSON frames an earlier version left and the RowBinary frames written since, each once', async () => {
    const dataDir = tempDir('rb-upgrade-')
    const spoolDir = tempDir('rb-upgrade-spool-')
    const app = testApp('rb-upgrade-app')
    // The earlier version's spool: JSON frames, synced, never inserted (it stopped first).
    const old = rows(700, app.id)
    const before = await openSpool({ dir: spoolDir, insert: () => new Promise(() => undefined), maxBytes: 64 * 2 ** 20, segmentBytes: 2 ** 20, insertRows: 500, feedDelayMs: 3_600_000 })
    for (let i = 0; i < old.length; i += 100) await before.append(encodeRows(old.slice(i, i + 100)), 100)
    await before.close(10)
    const formats = () => listSegments(spoolDir).flatMap((seq) => readFrames(readFileSync(join(spoolDir, segmentName(seq)))).frames.map((f) => f.format))
    expect(new Set(formats())).toEqual(new Set(['JSONCompactEachRow']))
    const upgraded = await startTestServer({ dataDir, apps: [app], listen: false, env: { WRITE_MODE: 'spool', SPOOL_DIR: spoolDir, SPOOL_FEED_DELAY_MS: '60000' } })
    try {
      expect(upgraded.veil.spool!.stats().replayedRows).toBe(700)
      const events = Array.from({ length: 3 }, () => Array.from({ length: 50 }, () => event({ user_id: 'u1' })))
      for (const b of events) expect((await upgraded.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, b)))).status).toBe(202)
      expect(formats()).toContain('RowBinary')
      await upgraded.veil.writer.flush()
      await expectNoLossNoDuplicateAggregatesAgree(upgraded.veil.storage.client, app.id, [...idsOf(old), ...events.flat().map((e) => e.id)])
    } finally {
      await upgraded.stop()
    }
  }, 60_000)
})

