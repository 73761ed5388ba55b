// Who may send what (issue 29, docs/relay.md): a relay key sends anonymised rows only, never raw
// events; a write key never sends rows; a relay sends rows only for its own apps; and rows are
// checked again centrally: a field holding an IP, a raw id, a User-Agent or an unsealed
// personal value is refused with a reason and stored nowhere.
import { randomUUID } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashKey, randomKey } from '../../src/apps/apps.ts'
import type { EventRow } from '../../src/pipeline/types.ts'
import { encodeEventRows } from '../../src/storage/rows/rows-format.ts'
import { batch, event } from '../support/batch.ts'
import { startTestServer, testApp, type TestServer } from '../support/server.ts'

const relayKey = randomKey('rl')
const plant = testApp('plant-app', { plan: { mode: 'open', events: { machine_fault: { props: { line: { kind: 'enum', values: ['press-7'] }, note: { kind: 'text' }, duration_ms: { kind: 'number', min: 0, max: 100_000 } } } } } })
const other = testApp('other-app')

/** A row as a relay's pipeline makes it; `patch` sets columns by index. */
function row(patch: Record<number, unknown> = {}): unknown[] {
  const at = Date.now() - 60_000
  const r: EventRow = [
    'plant-app', randomUUID(), 'machine_fault', at, at, '0123456789abcdef', 'fedcba9876543210', '', 1_700_000_000,
    { line: 'press-7', note: '~0123456789abcdef|~fedcba9876543210' }, { duration_ms: 120 }, 'DE', 'Berlin', 'Chrome', '120', 'Windows', '10',
    'desktop', 'de', 1920, 1080, '4.2.1', '', 'user',
  ]
  const out: unknown[] = [...r]
  for (const [i, v] of Object.entries(patch)) out[Number(i)] = v
  return out
}

describe('relay keys and write keys', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer({ apps: [plant, other], relays: [{ id: 'plant-a', keys: [hashKey(relayKey)], apps: ['plant-app'] }], listen: false })
  })
  afterAll(() => s?.stop())

  const forward = (key: string, rows: unknown[]) =>
    s.veil.app.request('/v1/relay/rows', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', Authorization: `Bearer ${key}` },
      body: gzipSync(JSON.stringify({ version: '0.1.0', rows })),
    })

  it('refuses raw events sent with a relay key', async () => {
    const res = await s.veil.app.request('/v1/batch', {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${relayKey}` },
      body: JSON.stringify({ events: [event({ user_id: 'jane@example.com' })] }),
    })
    expect(res.status).toBe(401)
    const inBody = await s.veil.app.request('/v1/batch', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch(relayKey, [event()])) })
    expect(inBody.status).toBe(401)
  })

  it('refuses relay rows sent with a write key, and says why', async () => {
    const res = await forward(plant.write_keys[0]!, [row()])
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: string }).error).toMatch(/write key/)
  })

  it('stores well-formed rows of its own apps, and refuses rows of an app that is not its', async () => {
    const good = row()
    const res = await forward(relayKey, [good, row({ 0: 'other-app' })])
    expect(res.status).toBe(200)
    const answer = (await res.json()) as { accepted: number; rejected: { index: number; reason: string }[] }
    expect(answer.rejected).toEqual([{ index: 1, reason: 'app "other-app" is not one of this relay\'s apps' }])
    expect(answer.accepted).toBe(1)
    const stored = await s.query<{ n: string }>('SELECT count() AS n FROM events WHERE event_id = {id:UUID}', { id: good[1] })
    expect(Number(stored[0]!.n)).toBe(1)
  })

  it.each([
    ['an IP in city', { 12: '81.2.69.160' }],
    ['a raw user id', { 5: 'jane.doe@example.com' }],
    ['a User-Agent as browser', { 13: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36' }],
    ['a plain value in a text prop', { 9: { line: 'press-7', note: 'call Jane Doe on +49 170 1234567' } }],
    ['a value the enum does not list', { 9: { line: 'Jane Doe' } }],
    ['an unsealed undeclared key', { 9: { customer_name: '~0123456789abcdef' } }],
    ['an undeclared number under a readable key', { 10: { jane_doe: 4 } }],
    ['a lang that is no language tag', { 18: 'jane.doe@example.com' }],
    ['a row too old to take', { 3: Date.now() - 40 * 86_400_000, 4: Date.now() - 40 * 86_400_000 }],
  ])('refuses a row with %s and stores none of it', async (_what, patch) => {
    const bad = row(patch)
    const res = await forward(relayKey, [bad])
    expect(res.status).toBe(200)
    const answer = (await res.json()) as { accepted: number; rejected: unknown[] }
    expect(answer).toMatchObject({ accepted: 0 })
    expect(answer.rejected).toHaveLength(1)
    const stored = await s.query<{ n: string }>('SELECT count() AS n FROM events WHERE event_id = {id:UUID}', { id: bad[1] })
    expect(Number(stored[0]!.n)).toBe(0)
  })

  // What a relay's uplink sends: the spool's bytes as they are (src/relay/rows-wire.ts).
  const forwardBinary = (rows: unknown[][], format = 'RowBinary') =>
    s.veil.app.request('/v1/relay/rows', {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.veil.rows', 'Content-Encoding': 'gzip', 'Veil-Rows-Format': format, 'Veil-Relay-Version': '0.1.0', Authorization: `Bearer ${relayKey}` },
      body: gzipSync(encodeEventRows(rows as EventRow[]).payload),
    })

  it('takes rows as the spool holds them, checked like JSON ones', async () => {
    const good = row()
    const bad = row({ 12: '81.2.69.160' })
    const res = await forwardBinary([good, bad])
    expect(res.status).toBe(200)
    const answer = (await res.json()) as { accepted: number; rejected: { index: number }[] }
    expect(answer.accepted).toBe(1)
    expect(answer.rejected.map((r) => r.index)).toEqual([1])
    const stored = await s.query<{ n: string }>('SELECT count() AS n FROM events WHERE event_id IN {ids:Array(UUID)}', { ids: [good[1], bad[1]] })
    expect(Number(stored[0]!.n)).toBe(1)
  })

  it('refuses a body that is not whole rows, or names no format', async () => {
    const cut = gzipSync(encodeEventRows([row() as EventRow]).payload.subarray(0, 40))
    const headers = { 'Content-Type': 'application/vnd.veil.rows', 'Content-Encoding': 'gzip', 'Veil-Rows-Format': 'RowBinary', Authorization: `Bearer ${relayKey}` }
    expect((await s.veil.app.request('/v1/relay/rows', { method: 'POST', headers, body: cut })).status).toBe(400)
    expect((await forwardBinary([row()], 'Native')).status).toBe(400)
  })

  it('stores a forward sent twice once', async () => {
    const rows = [row(), row()]
    expect(((await (await forward(relayKey, rows)).json()) as { accepted: number }).accepted).toBe(2)
    const again = (await (await forward(relayKey, rows)).json()) as { accepted: number; duplicates: number }
    expect(again.duplicates).toBe(2)
    const stored = await s.query<{ n: string }>('SELECT count() AS n FROM events WHERE event_id IN {ids:Array(UUID)}', { ids: rows.map((r) => r[1]) })
    expect(Number(stored[0]!.n)).toBe(2)
  })
})
