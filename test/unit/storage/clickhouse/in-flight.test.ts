// Storage that knows whether a call into ClickHouse still runs (in-flight.ts), over a
// hand-written client whose calls the test settles: a stop asks idle() before it closes storage.
import { describe, expect, it } from 'vitest'
import type { ClickHouseClient } from '@clickhouse/client'
import type { Storage } from '../../../../src/storage/clickhouse/client.ts'
import { trackInFlight } from '../../../../src/storage/clickhouse/in-flight.ts'

function fakeStorage() {
  const pending: (() => void)[] = []
  const hold = () => new Promise<void>((resolve) => pending.push(resolve))
  const client = { query: hold, insert: hold, command: hold, exec: hold, label: 'the client' }
  const storage: Storage = {
    client: client as unknown as ClickHouseClient,
    kind: 'embedded',
    database: 'veil',
    insertRaw: hold,
    skipsStoredIn: () => false,
    close: async () => undefined,
  }
  return { storage, settleAll: () => pending.splice(0).forEach((r) => r()) }
}

describe('trackInFlight', () => {
  it('is idle at once with no call running', async () => {
    expect(await trackInFlight(fakeStorage().storage).idle(0)).toBe(true)
  })

  it('counts every kind of call until it settles, and says idle once the last one has', async () => {
    const f = fakeStorage()
    const s = trackInFlight(f.storage)
    const calls = [s.client.query({ query: 'SELECT 1' }), s.client.command({ query: 'SELECT 1' }), s.insertRaw({ table: 'events', columns: [], format: 'RowBinary', body: Buffer.alloc(0), settings: {} }), s.track(new Promise<void>(() => undefined))]
    expect(s.running()).toBe(4)
    expect(await s.idle(10)).toBe(false)
    f.settleAll()
    await Promise.all(calls.slice(0, 3))
    expect(s.running()).toBe(1) // the tracked promise that never settles
    expect(await s.idle(10)).toBe(false)
  })

  it('resolves a waiting idle() as soon as the running call settles', async () => {
    const f = fakeStorage()
    const s = trackInFlight(f.storage)
    const call = s.client.insert({ table: 'quarantine', values: [] })
    const idle = s.idle(60_000)
    f.settleAll()
    await call
    expect(await idle).toBe(true)
  })

  it('passes every other member of the client through unchanged', () => {
    const s = trackInFlight(fakeStorage().storage)
    expect((s.client as unknown as { label: string }).label).toBe('the client')
  })
})
