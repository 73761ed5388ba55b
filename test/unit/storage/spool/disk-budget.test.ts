// The spool's free-space budget (src/storage/spool/disk-budget.ts): frames take from the bytes
// known free above the reserve, and the disk is looked at again when the budget cannot pay for
// a frame, after everyBytes or after everyMs, so another writer's bytes are seen soon. A
// hand-written disk whose free space the test sets, and a clock it moves.
import { describe, expect, it } from 'vitest'
import { createDiskBudget } from '../../../../src/storage/spool/disk-budget.ts'

function disk(free: number) {
  const d = {
    free,
    looks: 0,
    clock: 0,
    /** Bytes the spool wrote: taken off `free`, as a real disk would. */
    write(bytes: number) {
      d.free -= bytes
    },
  }
  const budget = createDiskBudget({
    freeBytes: async () => (d.looks++, d.free),
    minFree: 1000,
    everyBytes: 10_000,
    everyMs: 100,
    now: () => d.clock,
  })
  return { d, budget }
}

/** Takes `bytes` and, when granted, writes them. */
async function frame(t: ReturnType<typeof disk>, bytes: number): Promise<boolean> {
  const ok = await t.budget.take(bytes)
  if (ok) t.d.write(bytes)
  return ok
}

describe('the spool free-space budget', () => {
  it('looks at the disk once per everyBytes taken, not per frame', async () => {
    const t = disk(1_000_000)
    for (let i = 0; i < 100; i++) expect(await frame(t, 1000)).toBe(true)
    // 100 kB in 1 kB frames, a look per 10 kB.
    expect(t.d.looks).toBe(10)
  })

  it('never grants a frame that takes the disk below its reserve, and refuses until space is back', async () => {
    const t = disk(5000)
    const granted: number[] = []
    for (let i = 0; i < 10; i++) if (await frame(t, 700)) granted.push(t.d.free)
    expect(granted).toHaveLength(5) // 5000 - 5 * 700 = 1500; a sixth would leave 800
    expect(Math.min(...granted)).toBeGreaterThanOrEqual(1000)
    expect(t.budget.low()).toBe(true)
    // Each refused frame looked again: a refusal is per write, not a state.
    const looks = t.d.looks
    expect(await frame(t, 700)).toBe(false)
    expect(t.d.looks).toBe(looks + 1)
    t.d.free += 10_000 // the feeder deleted a segment
    await t.budget.recheck()
    expect(t.budget.low()).toBe(false)
    expect(await frame(t, 700)).toBe(true)
  })

  it('sees a disk filled by another writer between two looks within everyMs', async () => {
    const t = disk(1_000_000)
    expect(await frame(t, 100)).toBe(true)
    t.d.free = 1500 // another writer filled the disk
    t.d.clock += 100
    expect(await frame(t, 700)).toBe(false)
    expect(t.budget.low()).toBe(true)
  })

  it('looks again after forget (a failed write was cut back)', async () => {
    const t = disk(1_000_000)
    await frame(t, 100)
    t.budget.forget()
    await frame(t, 100)
    expect(t.d.looks).toBe(2)
  })
})
