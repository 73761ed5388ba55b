// createIdDedup: retried events are written once. Repeats within a batch and of committed ids
// are counted as duplicates, in-flight ids make the retry wait for their commit, failed ones
// may be written again; the memory is bounded.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createIdDedup } from '../../../../src/storage/dedup/retry-memory.ts'

const id = (s: string) => s
const settle = () => new Promise<void>((r) => setImmediate(r))

function deferred() {
  let resolve!: () => void
  let reject!: (e: Error) => void
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)))
  return { promise, resolve, reject }
}

describe('createIdDedup', () => {
  it('writes new ids and counts repeats within one batch as duplicates', () => {
    const d = createIdDedup(100)
    const plan = d.plan(['a', 'b', 'a'], id)
    expect(plan).toEqual({ fresh: ['a', 'b'], waitFor: [], duplicates: 1 })
  })

  it('makes a retry of an id still in flight wait for that commit instead of writing it again', () => {
    const d = createIdDedup(100)
    const commit = deferred()
    d.track(['a'], commit.promise)
    const plan = d.plan(['a', 'b'], id)
    expect(plan.fresh).toEqual(['b'])
    expect(plan.waitFor).toEqual([commit.promise])
    expect(plan.duplicates).toBe(0)
  })

  it('waits once for a commit that carries several of the ids', () => {
    const d = createIdDedup(100)
    const commit = deferred()
    d.track(['a', 'b'], commit.promise)
    expect(d.plan(['a', 'b'], id).waitFor).toHaveLength(1)
  })

  it('counts a retry of a committed id as a duplicate', async () => {
    const d = createIdDedup(100)
    const commit = deferred()
    d.track(['a'], commit.promise)
    commit.resolve()
    await settle()
    expect(d.plan(['a'], id)).toEqual({ fresh: [], waitFor: [], duplicates: 1 })
  })

  it('forgets the ids of a failed commit, so that a retry writes them', async () => {
    const d = createIdDedup(100)
    const commit = deferred()
    d.track(['a'], commit.promise)
    commit.reject(new Error('storage down'))
    await settle()
    expect(d.plan(['a'], id).fresh).toEqual(['a'])
  })

  it('keeps a later commit of the same id when an earlier one fails', async () => {
    const d = createIdDedup(100)
    const first = deferred()
    const second = deferred()
    d.track(['a'], first.promise)
    d.track(['a'], second.promise)
    first.reject(new Error('late failure'))
    second.resolve()
    await settle()
    expect(d.plan(['a'], id).duplicates).toBe(1)
  })

  it('remembers ids known to be stored', () => {
    const d = createIdDedup(100)
    d.remember(['a', 'b'])
    expect(d.plan(['a', 'b', 'c'], id)).toEqual({ fresh: ['c'], waitFor: [], duplicates: 2 })
  })

  it('remembers at most maxIds ids, forgetting the oldest', () => {
    const d = createIdDedup(2)
    d.remember(['a', 'b', 'c'])
    expect(d.size).toBe(2)
    expect(d.plan(['a', 'c'], id).fresh).toEqual(['a'])
  })

  it('always remembers the latest maxIds / 2 ids of many, and never more than maxIds', () => {
    const d = createIdDedup(1000)
    const ids = Array.from({ length: 2700 }, () => randomUUID())
    d.remember(ids)
    expect(d.size).toBeLessThanOrEqual(1000)
    expect(d.size).toBeGreaterThanOrEqual(500)
    expect(d.plan(ids.slice(-500), id).duplicates).toBe(500)
    expect(d.plan(ids.slice(0, 1000), id).fresh).toHaveLength(1000)
  })

  it('remembers nothing when the window is 0, but still collapses repeats within a batch', () => {
    const d = createIdDedup(0)
    d.remember(['a'])
    d.track(['b'], Promise.resolve())
    expect(d.plan(['a', 'b', 'b'], id)).toEqual({ fresh: ['a', 'b'], waitFor: [], duplicates: 1 })
  })

  it('works on any item type through idOf', () => {
    const d = createIdDedup(10)
    d.remember(['e1'])
    const rows: [string, number][] = [['e1', 1], ['e2', 2]]
    expect(d.plan(rows, (r) => r[0]).fresh).toEqual([['e2', 2]])
  })
})
