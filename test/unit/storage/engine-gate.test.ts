// The gate in front of the embedded engine (src/storage/clickhouse/engine-gate.ts): at most its
// slots run at once, the rest start in the order they came (inserts ahead of reads), and a failed
// call frees its slot.
import { describe, expect, it } from 'vitest'
import { createGate, gateConnection } from '../../../src/storage/clickhouse/engine-gate.ts'

function deferred() {
  let resolve!: () => void
  let reject!: (e: Error) => void
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)))
  return { promise, resolve, reject }
}
const turn = () => new Promise((r) => setImmediate(r))

describe('engine gate', () => {
  it('runs at most its slots at once and starts the rest in order', async () => {
    const gate = createGate(2)
    const calls = Array.from({ length: 5 }, deferred)
    const started: number[] = []
    const results = calls.map((d, i) => gate(() => (started.push(i), d.promise)).then(() => i, (e: Error) => e.message))
    await turn()
    expect(started).toEqual([0, 1])
    calls[1]!.resolve()
    await turn()
    expect(started).toEqual([0, 1, 2])
    calls[0]!.reject(new Error('refused'))
    await turn()
    expect(started).toEqual([0, 1, 2, 3])
    for (const d of calls.slice(2)) d.resolve()
    expect(await Promise.all(results)).toEqual(['refused', 1, 2, 3, 4])
    expect(started).toEqual([0, 1, 2, 3, 4])
  })

  it('lets a call marked first go ahead of the waiting calls not so marked, in order among each', async () => {
    const gate = createGate(1)
    const calls = Array.from({ length: 5 }, deferred)
    const started: string[] = []
    const run = (name: string, d: ReturnType<typeof deferred>, first?: boolean) => gate(() => (started.push(name), d.promise), first)
    const all = [run('read 1', calls[0]!), run('read 2', calls[1]!), run('read 3', calls[2]!), run('insert 1', calls[3]!, true), run('insert 2', calls[4]!, true)]
    await turn()
    expect(started).toEqual(['read 1'])
    for (const d of calls) d.resolve()
    await Promise.all(all)
    expect(started).toEqual(['read 1', 'insert 1', 'insert 2', 'read 2', 'read 3'])
  })

  it('takes inserts first at the connection: its insert, raw insert and INSERT statements', async () => {
    const order: string[] = []
    const hold = deferred()
    const inner = {
      async query(p: { query: string }) {
        order.push(p.query)
        if (p.query === 'SELECT 0') await hold.promise
      },
      async command(p: { query: string }) {
        order.push(p.query)
      },
      get chdb() {
        return { rawInsert: async () => void order.push('raw insert') }
      },
    }
    const c = gateConnection(inner, 1)
    const all = [c.query({ query: 'SELECT 0' }), c.query({ query: 'SELECT 1' }), c.command({ query: '  insert INTO events SELECT * FROM file(x)' }), c.chdb.rawInsert(), c.command({ query: 'OPTIMIZE TABLE events' })]
    await turn()
    hold.resolve()
    await Promise.all(all)
    expect(order).toEqual(['SELECT 0', '  insert INTO events SELECT * FROM file(x)', 'raw insert', 'SELECT 1', 'OPTIMIZE TABLE events'])
  })

  it('gates the calls that reach the engine and leaves the rest of the connection as it is', async () => {
    class Connection {
      #running = 0
      peak = 0
      gates = deferred()
      async query(n: number) {
        this.peak = Math.max(this.peak, ++this.#running)
        await this.gates.promise
        this.#running--
        return n * 2
      }
      get chdb() {
        return { rawInsert: (n: number) => this.query(n) }
      }
      name() {
        return `running ${this.#running}`
      }
    }
    const inner = new Connection()
    const c = gateConnection(inner, 1)
    const all = Promise.all([c.query(1), c.query(2), c.chdb.rawInsert(3)])
    await turn()
    expect(c.name()).toBe('running 1')
    inner.gates.resolve()
    expect(await all).toEqual([2, 4, 6])
    expect(inner.peak).toBe(1)
  })
})
