// F5: a row ClickHouse refuses for its data. At the edge a lone UTF-16 surrogate is repaired
// (U+FFFD) and stored; a refused row that gets past the edge (here: written straight to the
// spool or writer) is isolated and dead-lettered, and never blocks the rows behind it or, in
// direct mode, other requests of its insert group. Real chDB refuses the row by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, tempDir, testApp, type TestServer } from '../support/server.ts'
import { batch, event, post } from '../support/batch.ts'
import { readableEvents } from '../support/unseal.ts'
import { openSpool } from '../../src/storage/spool/spool.ts'
import { readDeadLetters } from '../../src/storage/spool/dead-letter-file.ts'
import { encodeRows } from '../../src/storage/rows/rows-format.ts'
import { EVENT_COLUMNS, type EventRow } from '../../src/pipeline/types.ts'
import { expectNoLossNoDuplicateAggregatesAgree, idsOf, rows, until } from './support.ts'

// The plan declares the free-text prop the poison travels in: only `text` props keep arbitrary strings.
const app = testApp('poison-app', { plan: { mode: 'open', events: { signup: { props: { note: { kind: 'text' } } } } } })
let s: TestServer
beforeAll(async () => {
  // Direct mode: its writer is the insert group of the last test; the spool's case opens its own.
  s = await startTestServer({ apps: [app], listen: false, env: { WRITE_MODE: 'direct', WRITER_MAX_DELAY_MS: '50', WRITER_RETRY_MS: '100' } })
})
afterAll(() => s?.stop())

/** A row as the pipeline would never make it: a lone surrogate in a prop value. */
function poisoned(appId: string): EventRow {
  const r = rows(1, appId)[0]!
  r[9] = { path: '/p', note: 'bad \ud800 text' }
  return r
}

describe('a poison row', () => {
  it('is repaired at the edge: stored with U+FFFD, its batch accepted whole', async () => {
    const good = event()
    const odd = event({ name: 'signup', props: { note: 'lone \ud800 surrogate' } })
    const res = await s.veil.app.request('/v1/batch', post(batch(app.write_keys[0]!, [good, odd])))
    expect(res.status).toBe(202)
    expect(await res.json()).toEqual({ accepted: 2, rejected: [], dropped: [] })
    // A text is stored as its terms (PRIVACY.md 17), here tokens until k people used them: opened,
    // they are the words around the surrogate, which ends a phrase like any other non-letter.
    const stored = (await readableEvents(s, app.id)).filter((r) => r.event_id === odd.id).map((r) => ({ note: r.props.note }))
    expect(stored).toEqual([{ note: 'lone|surrogate' }])
  })

  it('in spool mode is dead-lettered, and the rows around it are stored once', async () => {
    const dir = tempDir('fault-poison-')
    const appId = 'poison-spool'
    const dead: string[] = []
    const spool = await openSpool({
      dir, maxBytes: 8 * 2 ** 20, segmentBytes: 2 ** 20, insertRows: 10_000, feedDelayMs: 20, retryMs: 50,
      insert: (body, _n, token) => s.veil.storage.insertRaw({
        table: 'events', columns: EVENT_COLUMNS, format: 'JSONCompactEachRow', body,
        settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
      }),
      onDeadLetter: (deadRows) => dead.push(...deadRows.map((r) => r[1])),
    })
    const before = rows(300, appId)
    const bad = poisoned(appId)
    const after = rows(300, appId)
    // One frame holds the bad row among good ones; frames before and after it share its insert.
    await spool.append(encodeRows(before), before.length)
    await spool.append(encodeRows([...rows(25, appId), bad, ...rows(24, appId)]), 50)
    await spool.append(encodeRows(after), after.length)
    await spool.drain()
    expect(dead).toEqual([bad[1]])
    expect(spool.stats().deadLetteredRows).toBe(1)
    const file = readDeadLetters(dir)
    expect(file).toHaveLength(1)
    expect(file[0]!.reason).toMatch(/Code: 25/)
    expect(file[0]!.row).toContain(bad[1])
    const storedIds = (await s.query<{ id: string }>('SELECT toString(event_id) AS id FROM events WHERE app_id = {a:String}', { a: appId })).map((r) => r.id)
    expect(storedIds).not.toContain(bad[1])
    expect(storedIds.length).toBe(300 + 49 + 300)
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, appId, [...idsOf(before), ...idsOf(after)])
    await spool.close(1000)
  })

  it('in direct mode fails no other request of its insert group, and is quarantined and counted', async () => {
    const appId = 'poison-direct'
    const requests = Array.from({ length: 5 }, () => rows(20, appId))
    const bad = poisoned(appId)
    requests[2]!.splice(7, 0, bad)
    // Submitted together: one insert group (WRITER_MAX_DELAY_MS = 50).
    const answers = await Promise.all(requests.map((r) => s.veil.writer.submit(r).acked))
    expect(answers.map((d) => d.map((r) => r[1]))).toEqual([[], [], [bad[1]], [], []])
    const acked = requests.flat().filter((r) => r !== bad)
    await expectNoLossNoDuplicateAggregatesAgree(s.veil.storage.client, appId, idsOf(acked))
    expect(await s.veil.metrics.render()).toMatch(/veil_dead_lettered_rows_total 1\b/)
    await until(async () => (await s.query("SELECT 1 FROM quarantine WHERE app_id = {a:String} AND reason LIKE 'storage refused%'", { a: appId })).length === 1, 10_000, 'quarantine row')
  })
})
