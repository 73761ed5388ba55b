// The durability rule on the PostHog and Segment endpoints: their 200 means committed, storage
// trouble stays a 503 with Retry-After (so posthog-js, posthog-node and analytics-node keep the
// events and retry), and the retry after the trouble is stored once. In direct mode, whose
// inserts wrapInsert replaces with failing ones.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../support/server.ts'
import { compatApp, runId, storedRows } from '../support/compat.ts'
import type { InsertFn } from '../../src/boot/start-veil.ts'

/** A storage that fails on demand: the only fake here, standing in for a bad disk. */
let failing = false
const flaky = (insert: InsertFn): InsertFn => async (rows, token) => {
  if (failing) throw new Error('disk full')
  return insert(rows, token)
}

const app = compatApp('durable-compat')
const key = app.write_keys[0]!
let s: TestServer

beforeAll(async () => {
  s = await startTestServer({ apps: [app], listen: false, wrapInsert: flaky, env: { WRITE_MODE: 'direct' } })
})
afterAll(() => s?.stop())

const post = (path: string, body: unknown) =>
  s.veil.app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })

const posthogBody = (run: string, uuid: string) => ({
  api_key: key,
  batch: [{ uuid, event: 'report run', distinct_id: 'u1', timestamp: new Date().toISOString(), properties: { run, $lib: 'posthog-node' } }],
})
const segmentBody = (run: string, messageId: string) => ({
  writeKey: key,
  type: 'track',
  event: 'Report Run',
  userId: 'u1',
  messageId,
  timestamp: new Date().toISOString(),
  properties: { run },
})

describe.each([
  ['/posthog/batch/', posthogBody, { status: 1 }],
  ['/segment/v1/track', segmentBody, { success: true }],
] as const)('%s', (path, body, ok) => {
  it('answers 503 with Retry-After while storage fails, then 200 and one stored event on the retry', async () => {
    const run = runId()
    const id = randomUUID()
    failing = true
    try {
      const res = await post(path, body(run, id))
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('5')
      expect(((await res.json()) as { error: string }).error).toMatch(/events not stored/)
    } finally {
      failing = false
    }
    expect(await storedRows(s, app.id, run)).toHaveLength(0)
    for (let i = 0; i < 2; i++) {
      const res = await post(path, body(run, id))
      expect(await res.json()).toEqual(ok)
      expect(res.status).toBe(200)
    }
    expect(await storedRows(s, app.id, run)).toHaveLength(1)
  })
})
