// Real server processes under load: kill -9 several times in both write modes (F13 included:
// a kill can cut an insert between events and its views), SIGTERM with keep-alive clients (F9),
// and a start that cannot proceed (F4). Clients retry what was not acknowledged, as the SDKs
// do; at the end every acknowledged event is stored exactly once and the aggregates agree.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Agent } from 'node:http'
import { afterAll, describe, expect, it } from 'vitest'
import { Child, keepAlivePost, load, makeBatch, retryAll } from './child.ts'
import { aggregateMismatches, lostAndDuplicated, until } from './support.ts'
import type { WireEvent } from '../../sdk/core/catalog.ts'

const children: Child[] = []
afterAll(async () => {
  for (const c of children) await c.stop('SIGKILL')
})

async function killUnderLoad(mode: 'direct' | 'spool', rounds: number): Promise<void> {
  const child = new Child({ WRITE_MODE: mode, WRITER_MAX_DELAY_MS: '5', SPOOL_FEED_DELAY_MS: '50', SPOOL_MIN_FREE_BYTES: '0' })
  children.push(child)
  const acked = new Set<string>()
  const kept: WireEvent[][] = []
  for (let round = 0; round < rounds; round++) {
    await child.start()
    await retryAll(child, kept, acked)
    const l = load(child, 6)
    const target = acked.size + l.acked.size + 600
    await until(() => acked.size + l.acked.size >= target, 60_000, 'acknowledged events under load')
    expect(await child.stop('SIGKILL')).toBeNull()
    await l.stop()
    for (const id of l.acked) acked.add(id)
    kept.push(...l.unanswered)
  }
  await child.start()
  await retryAll(child, kept, acked)
  expect(await child.stop('SIGTERM')).toBe(0)
  const store = await child.openStore()
  try {
    const { lost, duplicated, stored } = await lostAndDuplicated(store.client, child.app.id, acked)
    expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 })
    expect(stored).toBeGreaterThanOrEqual(acked.size)
    expect(await aggregateMismatches(store.client, child.app.id)).toEqual([])
  } finally {
    await store.close()
  }
}

describe('kill -9 under load', () => {
  it('direct mode, three kills: every acknowledged event stored once, aggregates agree', () => killUnderLoad('direct', 3), 300_000)
  it('spool mode, three kills: every acknowledged event stored once, aggregates agree', () => killUnderLoad('spool', 3), 300_000)
})

describe('SIGTERM under keep-alive load (F9)', () => {
  it('answers Connection: close once stopping starts, exits 0 within its budget, and stores what it acknowledged', async () => {
    const child = new Child({ SHUTDOWN_TIMEOUT_MS: '4000', WRITER_MAX_DELAY_MS: '5' })
    children.push(child)
    await child.start()
    const agent = new Agent({ keepAlive: true, maxSockets: 4 })
    const acked = new Set<string>()
    /** Per client, the answers received after the signal was sent. */
    const afterSignal: { status: number; connection: string | undefined }[][] = [[], [], [], []]
    /** Answers to requests sent once the node was seen stopping (its /readyz refused or not ready). */
    const afterStopSeen: { status: number; connection: string | undefined }[] = []
    let signalled = false
    let stopSeen = false
    let done = false
    const loop = async (n: number) => {
      while (!done) {
        const b = makeBatch(10)
        const sentAfterStop = stopSeen
        const r = await keepAlivePost(child, agent, b).catch(() => undefined)
        if (!r) break // the server is gone
        if (r.status === 202) for (const e of b) acked.add(e.id)
        if (signalled) afterSignal[n]!.push(r)
        if (sentAfterStop) afterStopSeen.push(r)
      }
    }
    const loops = Array.from({ length: 4 }, (_, n) => loop(n))
    await until(() => acked.size >= 300, 30_000, 'load')
    signalled = true
    const exited = child.stop('SIGTERM')
    // Bounded: the stop ends the process within its budget, and the poll ends with it.
    const watch = (async () => {
      while (!stopSeen && !done) {
        if (!(await fetch(child.url + '/readyz').then((r) => r.ok, () => false))) stopSeen = true
        else await new Promise((r) => setTimeout(r, 10))
      }
    })()
    const code = await exited
    done = true
    await Promise.all([...loops, watch])
    agent.destroy()
    // 0: the stop finished inside its budget (the backstop past SHUTDOWN_TIMEOUT_MS + 5 s exits 1).
    expect(code).toBe(0)
    // Answers after the signal say Connection: close, and every request sent once the node was
    // seen stopping is answered so: no client keeps a connection to a stopping node. (Requests
    // sent between the signal and its handling may still be answered as usual.)
    expect(afterSignal.flat().some((r) => r.connection === 'close')).toBe(true)
    expect(afterStopSeen.filter((r) => r.connection !== 'close')).toEqual([])
    const store = await child.openStore()
    try {
      const { lost, duplicated } = await lostAndDuplicated(store.client, child.app.id, acked)
      expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 })
      expect(await aggregateMismatches(store.client, child.app.id)).toEqual([])
    } finally {
      await store.close()
    }
  }, 120_000)
})

describe('a start that cannot proceed (F4)', () => {
  it('exits non-zero with a message instead of exiting 0 or hanging', async () => {
    const child = new Child({ WRITE_MODE: 'spool' })
    children.push(child)
    const notADir = join(child.dir, 'spool-is-a-file')
    writeFileSync(notADir, 'x')
    await expect(child.start({ SPOOL_DIR: notADir })).rejects.toThrow(/server exited with 1: [\s\S]*\{"level":60,[^\n]*"msg":"cannot start: [^\n]*spool-is-a-file/)
  }, 60_000)
})
