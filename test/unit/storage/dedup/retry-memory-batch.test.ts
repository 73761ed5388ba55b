// createIdDedup's repeats within one batch, found by the ids' bits: a repeat is the same text
// (as a Set of strings had it), a UUID in another case is not a repeat within the batch, and
// track() after plan() remembers exactly the ids it is given.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createIdDedup } from '../../../../src/storage/dedup/retry-memory.ts'

const id = (s: string) => s

describe('createIdDedup within one batch', () => {
  it('counts repeats of the same text, and keeps a UUID sent again in another case', () => {
    const u = randomUUID()
    const d = createIdDedup(100)
    const plan = d.plan([u, u.toUpperCase(), u, u.toUpperCase(), 'x', 'x'], id)
    expect(plan.fresh).toEqual([u, u.toUpperCase(), 'x'])
    expect(plan.duplicates).toBe(3)
  })

  it('finds repeats in batches of any size, one after another', () => {
    const d = createIdDedup(10_000)
    for (const size of [2, 64, 65, 500, 3]) {
      const ids = Array.from({ length: size }, () => randomUUID())
      const plan = d.plan([...ids, ...ids.slice(0, Math.ceil(size / 2))], id)
      expect(plan.fresh).toEqual(ids)
      expect(plan.duplicates).toBe(Math.ceil(size / 2))
    }
  })

  it('tracks the ids given, whether or not they are the last plan\'s fresh ones', async () => {
    const d = createIdDedup(100)
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()]
    const plan = d.plan([a, b], id)
    d.track([c], Promise.resolve())
    d.track(plan.fresh, Promise.resolve())
    await new Promise<void>((r) => setImmediate(r))
    expect(d.plan([a, b, c, randomUUID()], id).duplicates).toBe(3)
  })

  it('tracks the last plan\'s fresh ids by their bits, also for ids that are not UUIDs', async () => {
    const d = createIdDedup(100)
    const ids = ['evt-1', randomUUID(), 'evt-2']
    d.track(d.plan(ids, id).fresh, Promise.resolve())
    await new Promise<void>((r) => setImmediate(r))
    expect(d.plan([...ids, 'evt-3'], id)).toEqual({ fresh: ['evt-3'], waitFor: [], duplicates: 3 })
  })
})
